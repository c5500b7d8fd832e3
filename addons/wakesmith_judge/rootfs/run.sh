#!/usr/bin/with-contenv bashio
# Turns the add-on options into Judge settings and starts the service.
# The options are already in the Judge's settings shape; only MQTT is filled in from the
# Supervisor when the user left the broker empty and the Mosquitto add-on is available.
set -euo pipefail
umask 077  # the settings hold the HTTP token and the MQTT password

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

# The HTTP port needs a token unless the user turned that off. A token left empty in the options is
# generated once and kept in the add-on's persistent /data, so it survives restarts and updates.
TOKEN_FILE=/data/http_token
if bashio::config.true 'http_token_required' && [ -z "$(bashio::config 'http_token')" ]; then
    if [ ! -s "${TOKEN_FILE}" ]; then
        (umask 077 && python3 -c 'import secrets; print(secrets.token_urlsafe(32))' > "${TOKEN_FILE}.tmp")
        mv "${TOKEN_FILE}.tmp" "${TOKEN_FILE}"
        bashio::log.info "Generated the HTTP token (kept in ${TOKEN_FILE})"
    fi
    jq --arg token "$(cat "${TOKEN_FILE}")" '.http_token=$token' "${SETTINGS}" > "${SETTINGS}.tmp"
    mv "${SETTINGS}.tmp" "${SETTINGS}"
    bashio::log.info "HTTP token (send as 'Authorization: Bearer <token>'): $(cat "${TOKEN_FILE}")"
fi

# Announce the Wyoming service once it listens, so Home Assistant offers to add it.
(
    sleep 5
    bashio::discovery "wyoming" "$(bashio::var.json uri "tcp://$(hostname):10400")" > /dev/null \
        || bashio::log.warning "Could not announce the Wyoming service to Home Assistant"
) &

exec wakesmith judge --config "${SETTINGS}"
