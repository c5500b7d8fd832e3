"""wakesmith: create your own wake word, train it, and run it in Home Assistant.

The user-facing verbs live in :mod:`wakesmith.api`; everything else is the machinery behind them.
"""

__version__ = "0.1.0"
