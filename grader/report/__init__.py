"""Stage 4: what a grading says: feedback text, headlines, the terminal, Markdown and HTML reports, the JSON Schema,
and the class report (numbers, plots, index.html, the gradebook).
"""
