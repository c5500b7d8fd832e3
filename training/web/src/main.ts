// The studio's entry: take the token from the address, then draw the page the fragment names.
//   #/                    wake words (dataset cards, "New wake word")
//   #/datasets/<id>       one wake word: health, Train, Record, Upload, clips, jobs
//   #/models              trained models, their report figures, Deploy
//   #/live?model=<id>     Live test: the microphone through a sentry (and the Judge), plotted

import "./style.css";
import { takeTokenFromFragment, whenUnauthorized } from "./api/client";
import { renderDashboard } from "./views/dashboard";
import { renderDataset } from "./views/dataset";
import { renderLive } from "./views/live";
import { renderLogin } from "./views/login";
import { renderModels } from "./views/models";
import { watchMachine } from "./views/machine";

const app = document.getElementById("app") as HTMLElement;
let leave: (() => void) | void;

function route(): void {
  leave?.();
  leave = undefined;
  const path = window.location.hash.replace(/^#/, "") || "/";
  const dataset = path.match(/^\/datasets\/([^/]+)$/);
  const params = new URLSearchParams(path.split("?")[1] ?? "");
  for (const link of document.querySelectorAll<HTMLAnchorElement>("nav a")) {
    const here = link.getAttribute("href") === "#" + path.split("?")[0];
    if (here) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (dataset) leave = renderDataset(app, decodeURIComponent(dataset[1]));
  else if (path.startsWith("/live")) leave = renderLive(app, params.get("model") ?? "");
  else if (path.startsWith("/models")) leave = renderModels(app, params.get("deploy") ?? "");
  else leave = renderDashboard(app);
}

whenUnauthorized(() => {
  if (!app.querySelector("#login")) renderLogin(app, route);
});
takeTokenFromFragment();
watchMachine(document.getElementById("machine") as HTMLElement);
window.addEventListener("hashchange", route);
route();
