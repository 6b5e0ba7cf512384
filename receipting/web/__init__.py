"""The web layer for pages people use (the resident checkout now, staff pages later).

Sealed cookies, anti-forgery tokens, form reading, English and Welsh message catalogues, a Jinja
renderer with the council's GOV.UK Frontend layout, the static assets that layout needs, security
headers and HTML error pages. Nothing here knows about payments: channels build their pages on it.
"""
