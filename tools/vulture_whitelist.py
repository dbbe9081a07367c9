"""Names vulture (the dead-code check, `make lint`) must count as used. Not imported by anything.

Every entry says why. When code is deleted, delete its line here too.
"""
# ruff: noqa: B018, F821

# Used from outside Python files or by a library calling back by name.
_.num_col_, _.num_row_, _.col_cost_, _.col_lower_, _.col_upper_  # highspy.HighsLp fields (audit.py)
_.row_lower_, _.row_upper_, _.format_, _.start_, _.index_, _.value_  # highspy.HighsLp fields (audit.py)
_.execute_managed_notebook  # papermill engine hook (reporting/execute.py)
_.vis_forside, _.vis_indikatorer, _.vis_bydeler, _.vis_metode, _.vis_vedlegg  # called by notebooks/kommunerapport.ipynb
_.vis_landet, _.vis_variasjon, _.vis_fylker_og_kostragrupper  # called by notebooks/nasjonal_oversikt.ipynb
_.handle_starttag, _.handle_endtag, _.handle_data  # html.parser.HTMLParser hooks (tests/test_reporting.py)
mtime  # part of an lru_cache key (reporting/render.py _load)
