#!/usr/bin/with-contenv bashio
# Everything the add-on does at start is Python (wakesmith.judge.addon, tested): /data/options.json
# becomes Judge settings, an empty MQTT host takes the Mosquitto add-on's broker, an empty HTTP token is
# generated once into /data/http_token, and once the ports listen the Judge is announced to Home
# Assistant as `wyoming` and `wakesmith`. with-contenv passes the SUPERVISOR_TOKEN that needs.
exec /opt/wakesmith/bin/wakesmith judge-addon --options /data/options.json --data /data
