"""Business calendars for SLA clocks: working hours, holidays, business-time arithmetic.

Pure Python (no Django): ``timecalc`` does the arithmetic, ``spec`` reads and writes the JSON
form stored with SLA policies, ``cli`` is the ``tierline calendar`` command.
"""
