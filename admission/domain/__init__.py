"""Pure-Python admission rules: calendar, periods, rule sets, deadlines, votes, eligibility, stages.

Nothing in this package imports Django or reads the clock; every date is an argument.
"""
