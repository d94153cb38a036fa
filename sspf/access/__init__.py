"""THE access rules: who may see what of which case. Written once, in two forms that must agree.

``rules.case_access`` decides for one case from plain facts (pure Python, used on a case page);
``scoping.visible_cases`` says the same thing as SQL (used for lists and searches), so a case a
user may not see does not exist for them anywhere. ``tests/access`` checks the two agree.
"""
