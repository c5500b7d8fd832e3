#!/usr/bin/with-contenv bashio
# Turns the add-on options into Judge settings and starts the service.
# The options are already in the Judge's settings shape; only MQTT is filled in from the
# Supervisor when the user left the broker empty and the Mosquitto add-on is available.
set -euo pipefail

OPTIONS=/data/options.json
SETTINGS=/tmp/judge-settings.json
cp "${OPTIONS}" "${SETTINGS}"

if [ -z "$(bashio::config 'mqtt.host')" ] && bashio::services.available "mqtt"; then
    bashio::log.info "Using the MQTT broker of the Mosquitto add-on"
    jq --arg host "$(bashio::services mqtt 'host')" \
       --argjson port "$(bashio::services mqtt 'port')" \
       --arg user "$(bashio::services mqtt 'username')" \
       --arg pass "$(bashio::services mqtt 'password')" \
       '.mqtt.host=$host | .mqtt.port=$port | .mqtt.username=$user | .mqtt.password=$pass' \
       "${OPTIONS}" > "${SETTINGS}"
fi

# Announce the Wyoming service once it listens, so Home Assistant offers to add it.
(
    sleep 5
    bashio::discovery "wyoming" "$(bashio::var.json uri "tcp://$(hostname):10400")" > /dev/null \
        || bashio::log.warning "Could not announce the Wyoming service to Home Assistant"
) &

exec wakesmith judge --config "${SETTINGS}"
