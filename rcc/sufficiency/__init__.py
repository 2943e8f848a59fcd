"""Sufficiency planning: SSDA903 returns (validation, storage), forecasts, the gap against the register,
backtests and the sufficiency report."""
