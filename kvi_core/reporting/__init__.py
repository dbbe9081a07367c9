"""Reports: one HTML + PDF per kommune and a national overview, from the published tables.

    data      reads a ``kvi compute`` folder: the published (suppressed) files only
    markdown  number formats, tables, figures, display (``text/markdown`` outputs)
    figures   the four-categories-by-age figure (SVG)
    content   shared text: titles, method, suppression, footer
    kommune   the kommune report's content (``notebooks/kommunerapport.ipynb``)
    nasjonal  the national overview's content (``notebooks/nasjonal_oversikt.ipynb``)
    execute   papermill in a reused kernel
    render    executed notebook -> HTML + PDF (Quarto, or pandoc + Typst), options from ``_quarto.yml``
    batch     ``kvi reports``: tables, every report in parallel, manifest, index
"""
