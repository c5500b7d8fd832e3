// Standalone mode asks for the studio's token (printed by `wakesmith serve`, kept in
// <home>/studio_token). Opening the page as …/#token=<token> skips this form.

import { setToken } from "../api/client";
import { h, fill } from "../dom";
import { reconnect } from "../status";

export function renderLogin(app: HTMLElement, then: () => void): void {
  const input = h("input", { id: "token", type: "password", autocomplete: "current-password", required: true });
  const form = h(
    "form",
    {
      id: "login",
      "aria-label": "Sign in",
      onsubmit: (e: Event) => {
        e.preventDefault();
        setToken(input.value.trim());
        reconnect();
        then();
      },
    },
    h("h2", {}, "Sign in"),
    h("p", {}, "This studio needs its token: ", h("code", {}, "wakesmith serve"), " printed it on its first start; it is kept in ", h("code", {}, "<home>/studio_token"), "."),
    h("label", { for: "token" }, "Studio token"),
    input,
    h("button", { type: "submit" }, "Sign in"),
  );
  fill(app, form);
  input.focus();
}
