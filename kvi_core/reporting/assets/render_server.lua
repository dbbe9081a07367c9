--[[
render_server.lua: one long-lived pandoc for a report worker (`pandoc lua render_server.lua FILTER`).

A pandoc run costs far more than its work: the first Markdown read in a process takes about twice as
long as later ones, and each report was read twice (once for HTML, once for Typst). This server reads
one request per line on stdin (JSON), renders the notebook to both formats with the same steps the
command line takes, and answers one JSON line on stdout: {"ok": true} or {"ok": false, "error": ...}.

Request (paths absolute; written by kvi_core/reporting/render.py):
  {"notebook": ..., "formats": [{"to": "html5" | "typst", "out": ..., "meta": YAML file,
    "toc": bool, "toc_depth": n, "shift": n, "css": [files], "header": [files]}]}

What each field stands for on the command line: meta = --metadata-file (the document's own metadata
wins), toc/toc_depth = --toc/--toc-depth, shift = --shift-heading-level-by (applied after the filter,
as pandoc does), css = --css (a link; render.embed_resources embeds it, as --embed-resources would),
header = --include-in-header. Always --standalone --wrap=none, and FILTER as --lua-filter.
]]

local filter_path = arg[1]

local function read_file(path)
  local fh = assert(io.open(path, "rb"))
  local text = fh:read("a")
  fh:close()
  return text
end

local function write_file(path, text)
  local tmp = path .. ".part"
  local fh = assert(io.open(tmp, "wb"))
  fh:write(text)
  fh:close()
  assert(os.rename(tmp, path))
end

-- --metadata-file: YAML whose strings are read as Markdown; the document's own keys win
local function with_metadata(doc, meta_file)
  if not meta_file then return doc end
  local meta = pandoc.read("---\n" .. read_file(meta_file) .. "\n...\n", "markdown").meta
  for k, v in pairs(doc.meta) do meta[k] = v end
  doc.meta = meta
  return doc
end

-- --shift-heading-level-by (pandoc's headerShift): with a negative shift a leading heading that
-- would reach level 0 becomes the title; other headings below level 1 become paragraphs
local function shift_headings(doc, n)
  if not n or n == 0 then return doc end
  local blocks = doc.blocks
  local first = blocks[1]
  if n < 0 and first and first.t == "Header" and first.level + n == 0 then
    doc.meta.title = pandoc.MetaInlines(first.content)
    blocks = blocks:filter(function(_) return true end)
    blocks:remove(1)
    doc.blocks = blocks
    return shift_headings(doc, n)
  end
  return doc:walk({
    Header = function(h)
      if h.level + n > 0 then
        h.level = h.level + n
        return h
      end
      return pandoc.Para(h.content)
    end,
  })
end

local templates = {}
local function template(to)
  if not templates[to] then
    templates[to] = pandoc.template.compile(pandoc.template.default(to))
  end
  return templates[to]
end

local function render_one(source, fmt)
  local doc = pandoc.read(source, "ipynb")
  doc = with_metadata(doc, fmt.meta)
  FORMAT = fmt.to
  -- a fresh copy of the filter per document and format (it keeps settings read from the metadata)
  for _, f in ipairs(dofile(filter_path)) do
    doc = doc:walk(f)
  end
  doc = shift_headings(doc, fmt.shift)
  local variables = {}
  if fmt.css and #fmt.css > 0 then variables.css = fmt.css end
  if fmt.header and #fmt.header > 0 then
    local inc = {}
    for _, h in ipairs(fmt.header) do inc[#inc + 1] = read_file(h) end
    variables["header-includes"] = inc
  end
  local out = pandoc.write(doc, fmt.to, {
    template = template(fmt.to),
    table_of_contents = fmt.toc and true or false,
    toc_depth = fmt.toc_depth or 3,
    wrap_text = "wrap-none",
    variables = variables,
  })
  write_file(fmt.out, out)
end

-- The filter reads each Markdown output with pandoc.read, once per format; within one request the
-- same text gives the same blocks, so the second format reuses them (a read is most of the work).
local pandoc_read = pandoc.read
local reads = nil
pandoc.read = function(text, format, ...)
  if reads == nil or select("#", ...) > 0 or type(text) ~= "string" or type(format) ~= "string" then
    return pandoc_read(text, format, ...)
  end
  local key = format .. "\0" .. text
  if reads[key] == nil then reads[key] = pandoc_read(text, format) end
  return reads[key]
end

local function handle(line)
  local req = pandoc.json.decode(line, false)
  local source = read_file(req.notebook)
  reads = {}
  local ok, err = pcall(function()
    for _, fmt in ipairs(req.formats) do
      render_one(source, fmt)
    end
  end)
  reads = nil
  if not ok then error(err, 0) end
end

for line in io.stdin:lines() do
  if line ~= "" then
    local ok, err = pcall(handle, line)
    local reply = ok and { ok = true } or { ok = false, error = tostring(err) }
    io.stdout:write(pandoc.json.encode(reply), "\n")
    io.stdout:flush()
  end
end
