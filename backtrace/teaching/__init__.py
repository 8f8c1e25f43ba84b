"""Teaching: worksheets and their keys, grading a student's numbers, and diffs of traces.

Pure functions over trace records, below the renderers: the worked lines they point at are
handed in (renderers.layout.worked_lines), and renderers/key, grades and differences print
what they return.
"""
