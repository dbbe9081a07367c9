"""Reports: one HTML + PDF per kommune and a national overview, from the published tables.

data      reads a ``kvi compute`` folder: the published (suppressed) files only
markdown  number formats, tables, figures, display (``text/markdown`` outputs)
texts     every bokmål sentence and word of the reports (signals, labels, alt texts, method)
figures   the SVG figures: barometer (page 1), categories by age, trend, national page 1
breaks    what the KLASS change table says changed for a kommune (split, merged, fylke divided)
kommune   the kommune report's content (``notebooks/kommunerapport.ipynb``)
nasjonal  the national overview's content (``notebooks/nasjonal_oversikt.ipynb``)
execute   papermill in a reused kernel
render    executed notebook -> HTML + PDF (Quarto, or pandoc + Typst), options from ``_quarto.yml``
batch     ``kvi reports``: tables, every report in parallel, manifest
index     ``index.html``: national overview first, kommuner by fylke, search, data files
"""
