"""wakesmith_gate: asks the wakesmith Judge about every sentry trigger before the satellite wakes.

The C++ is a thin ESPHome wrapper (wakesmith_gate.h) around a hardware-free core (gate_*.h), which
tests/cpp builds and tests on the host. See docs/sentry-esphome.md for the configuration.
"""

from esphome import automation
import esphome.codegen as cg
from esphome.components import microphone
import esphome.config_validation as cv
from esphome.const import (
    CONF_ID,
    CONF_MICROPHONE,
    CONF_MODE,
    CONF_MODEL,
    CONF_PORT,
    CONF_TIMEOUT,
)
import esphome.final_validate as fv
from esphome.core import CORE, TimePeriod

CODEOWNERS = ["@wakesmith"]
DEPENDENCIES = ["microphone", "network"]

CONF_ERROR_POLICY = "error_policy"
CONF_HOLD_MICROPHONE = "hold_microphone"
CONF_HOST = "host"
CONF_ON_ACCEPTED = "on_accepted"
CONF_ON_CANCEL = "on_cancel"
CONF_ON_ERROR = "on_error"
CONF_ON_REJECTED = "on_rejected"
CONF_ON_TIMEOUT = "on_timeout"
CONF_ON_WAKE = "on_wake"
CONF_POST_ROLL = "post_roll"
CONF_PRE_ROLL = "pre_roll"
CONF_SATELLITE = "satellite"
CONF_SENTRY_SCORE = "sentry_score"
CONF_STOP_AFTER_DETECTION = "stop_after_detection"
CONF_TIMEOUT_POLICY = "timeout_policy"
CONF_WAKE_WORD = "wake_word"

DEFAULT_PORT = 10400
MAX_BUFFER = TimePeriod(seconds=8)
"""pre_roll + post_roll stay under the Judge's default limit on a trigger buffer (10 s)."""

wakesmith_gate_ns = cg.esphome_ns.namespace("wakesmith_gate")
WakesmithGate = wakesmith_gate_ns.class_("WakesmithGate", cg.Component)
VerifyAction = wakesmith_gate_ns.class_(
    "VerifyAction", automation.Action, cg.Parented.template(WakesmithGate)
)

gate_core_ns = cg.global_ns.namespace("wakesmith").namespace("gate")
Mode = gate_core_ns.enum("Mode", is_class=True)
Policy = gate_core_ns.enum("Policy", is_class=True)
MODES = {"confirm": Mode.Confirm, "optimistic": Mode.Optimistic}
POLICIES = {"accept": Policy.Accept, "reject": Policy.Reject}

# Every trigger gets the wake word and the Judge's score (NaN when there is none).
TRIGGERS = {
    CONF_ON_WAKE: "get_wake_trigger",
    CONF_ON_CANCEL: "get_cancel_trigger",
    CONF_ON_ACCEPTED: "get_accepted_trigger",
    CONF_ON_REJECTED: "get_rejected_trigger",
    CONF_ON_TIMEOUT: "get_timeout_trigger",
    CONF_ON_ERROR: "get_error_trigger",
}


def _validate_buffer(config):
    if config[CONF_PRE_ROLL].total_milliseconds + config[CONF_POST_ROLL].total_milliseconds > (
        MAX_BUFFER.total_milliseconds
    ):
        raise cv.Invalid(
            f"pre_roll + post_roll is over {MAX_BUFFER.total_milliseconds} ms: the Judge refuses "
            "longer trigger buffers (2 s + 250 ms is what the cascade was evaluated on)."
        )
    return config


def _validate_mode(config):
    if config[CONF_MODE] == "optimistic" and CONF_ON_CANCEL not in config:
        raise cv.Invalid(
            "mode: optimistic wakes at once and needs on_cancel to undo a rejected wake "
            "(e.g. - voice_assistant.stop:), or use mode: confirm.",
            [CONF_MODE],
        )
    if config[CONF_MODE] == "confirm" and CONF_ON_CANCEL in config:
        raise cv.Invalid(
            "on_cancel never fires in mode: confirm (nothing wakes before the verdict); "
            "remove it, or use mode: optimistic.",
            [CONF_ON_CANCEL],
        )
    return config


def _default_error_policy(config):
    config.setdefault(CONF_ERROR_POLICY, config[CONF_TIMEOUT_POLICY])
    return config


CONFIG_SCHEMA = cv.All(
    cv.Schema(
        {
            cv.GenerateID(): cv.declare_id(WakesmithGate),
            cv.Optional(
                CONF_MICROPHONE, default={}
            ): microphone.microphone_source_schema(
                min_bits_per_sample=16,
                max_bits_per_sample=16,
                min_channels=1,
                max_channels=1,
            ),
            cv.Required(CONF_HOST): cv.string_strict,
            cv.Optional(CONF_PORT, default=DEFAULT_PORT): cv.port,
            cv.Optional(CONF_SATELLITE): cv.string_strict,
            cv.Optional(CONF_MODEL): cv.string_strict,
            cv.Optional(CONF_PRE_ROLL, default="2s"): cv.All(
                cv.positive_time_period_milliseconds,
                cv.Range(min=TimePeriod(milliseconds=500), max=TimePeriod(seconds=5)),
            ),
            cv.Optional(CONF_POST_ROLL, default="250ms"): cv.All(
                cv.positive_time_period_milliseconds,
                cv.Range(max=TimePeriod(seconds=1)),
            ),
            cv.Optional(CONF_TIMEOUT, default="1s"): cv.All(
                cv.positive_time_period_milliseconds,
                cv.Range(min=TimePeriod(milliseconds=100), max=TimePeriod(seconds=10)),
            ),
            cv.Optional(CONF_MODE, default="confirm"): cv.one_of(*MODES, lower=True),
            cv.Optional(CONF_TIMEOUT_POLICY, default="accept"): cv.one_of(
                *POLICIES, lower=True
            ),
            cv.Optional(CONF_ERROR_POLICY): cv.one_of(*POLICIES, lower=True),
            cv.Optional(CONF_HOLD_MICROPHONE, default=True): cv.boolean,
            **{
                cv.Optional(key): automation.validate_automation(single=True)
                for key in TRIGGERS
            },
        }
    ).extend(cv.COMPONENT_SCHEMA),
    cv.only_on_esp32,
    _validate_buffer,
    _validate_mode,
    _default_error_policy,
)


def _final_validate(config):
    microphone.final_validate_microphone_source_schema(
        "wakesmith_gate", sample_rate=16000
    )(config[CONF_MICROPHONE])
    mww = fv.full_config.get().get("micro_wake_word")
    if (
        mww is not None
        and not config[CONF_HOLD_MICROPHONE]
        and mww.get(CONF_STOP_AFTER_DETECTION, True)
    ):
        raise cv.Invalid(
            "With hold_microphone: false the gate records its post-roll only if the microphone keeps "
            "running after the detection: set micro_wake_word's stop_after_detection: false, or "
            "hold_microphone: true.",
            [CONF_HOLD_MICROPHONE],
        )
    return config


FINAL_VALIDATE_SCHEMA = _final_validate


async def to_code(config):
    var = cg.new_Pvariable(config[CONF_ID])
    await cg.register_component(var, config)

    mic_source = await microphone.microphone_source_to_code(
        config[CONF_MICROPHONE], passive=True
    )
    cg.add(var.set_microphone_source(mic_source))
    if config[CONF_HOLD_MICROPHONE]:
        mic = await cg.get_variable(config[CONF_MICROPHONE][CONF_MICROPHONE])
        cg.add(var.set_hold_microphone(mic))

    cg.add(var.set_host(config[CONF_HOST]))
    cg.add(var.set_port(config[CONF_PORT]))
    cg.add(var.set_satellite(config.get(CONF_SATELLITE, CORE.name)))
    if CONF_MODEL in config:
        cg.add(var.set_model(config[CONF_MODEL]))
    cg.add(var.set_pre_roll_ms(config[CONF_PRE_ROLL].total_milliseconds))
    cg.add(var.set_post_roll_ms(config[CONF_POST_ROLL].total_milliseconds))
    cg.add(var.set_timeout_ms(config[CONF_TIMEOUT].total_milliseconds))
    cg.add(var.set_mode(MODES[config[CONF_MODE]]))
    cg.add(var.set_timeout_policy(POLICIES[config[CONF_TIMEOUT_POLICY]]))
    cg.add(var.set_error_policy(POLICIES[config[CONF_ERROR_POLICY]]))

    for key, getter in TRIGGERS.items():
        if automation_config := config.get(key):
            await automation.build_automation(
                getattr(var, getter)(),
                [(cg.std_string, "wake_word"), (cg.float_, "score")],
                automation_config,
            )
    cg.add_define("USE_WAKESMITH_GATE")


@automation.register_action(
    "wakesmith_gate.verify",
    VerifyAction,
    cv.Schema(
        {
            cv.GenerateID(): cv.use_id(WakesmithGate),
            cv.Required(CONF_WAKE_WORD): cv.templatable(cv.string),
            cv.Optional(CONF_SENTRY_SCORE): cv.templatable(cv.percentage),
        }
    ),
    synchronous=True,
)
async def verify_action_to_code(config, action_id, template_arg, args):
    var = cg.new_Pvariable(action_id, template_arg)
    await cg.register_parented(var, config[CONF_ID])
    wake_word = await cg.templatable(config[CONF_WAKE_WORD], args, cg.std_string)
    cg.add(var.set_wake_word(wake_word))
    if CONF_SENTRY_SCORE in config:
        score = await cg.templatable(config[CONF_SENTRY_SCORE], args, cg.float_)
        cg.add(var.set_sentry_score(score))
    return var
