"""Reading back what a run wrote: the report (text, JSON, an HTML page) and ``explain`` (what each rule
did to one document).
"""
