"""The calculations behind the dashboard, free of any database or web framework.

Each module holds one kind of calculation: ``ranges`` (which days a report covers and how its
chart is bucketed), ``sessions`` (visits and headline numbers), ``sources`` (where traffic came
from), ``agents`` (browsers, systems, devices), ``visitor_ids`` (cookieless unique visitors),
``breakdowns`` (top-N lists with shares) and ``csv_export`` (spreadsheet-safe CSV).
"""
