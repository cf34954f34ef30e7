"""Alert analytics from the audit trail and card feedback: per rule, rule-set version and ISO week.

``query`` (SQL counts per day) → ``report`` (ISO weeks, rates, the models) → ``render`` (table, CSV, JSON);
``command`` is ``clinrules report``, ``service.routes.analytics`` the endpoint and the web page.
"""
