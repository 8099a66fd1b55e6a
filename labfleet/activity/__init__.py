"""Activity monitoring: who is active, a decayed score of each user's activity, live use.

:mod:`scoring` is the formula (pure functions, docs/activity.md); :mod:`sampling` records
a round of samples and keeps each user's decayed weight; :mod:`resources` keeps the live
CPU, memory and volume sizes of running servers; :mod:`views` gives the dashboard's and
the API's rows; :mod:`monitor` runs them on the hub.
"""
