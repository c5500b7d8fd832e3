#!/usr/bin/with-contenv bashio
# Everything the add-on does at start is Python (wakesmith.server.addon, tested): /data/options.json
# becomes the studio's settings (ingress from the Supervisor's proxy, plus the token for the
# integration), a token left empty is generated once into /data, and the studio and its worker start.
exec /opt/wakesmith/bin/wakesmith trainer-addon --options /data/options.json --data /data
