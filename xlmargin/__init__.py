"""xlmargin: margin requirements for Excel — Reg T, portfolio margin, futures, ESMA — on a pure engine."""

__version__ = "0.1.0"
