--[[
kvi.lua: make plain pandoc read an executed Jupyter notebook the way Quarto does, for kvi's reports.

pandoc's ipynb reader, on its own, (1) shows every code cell's source, also with the tags
`remove_input`/`remove_cell` or `#| echo: false` / `#| include: false`, (2) shows papermill's
injected-parameters cell, (3) keeps a `text/markdown` output as a raw Markdown block that the HTML
and Typst writers drop, (4) keeps a `text/html` output (a DataFrame) that the Typst writer drops,
(5) shows the raw front-matter cell, and (6) writes no alt text for images in Typst.

Metadata read here (set by kvi_core/reporting/render.py from _quarto.yml):
  kvi-echo     "false": hide every code cell's source (Quarto's `execute: echo: false`)
  kvi-warning  "false": hide stderr streams (Quarto's `execute: warning: false`)
]]

local echo = true
local warning = true

local function truthy(v)
  if v == nil then return nil end
  local s = pandoc.utils.stringify(v)
  return not (s == "false" or s == "no" or s == "0")
end

local function has_class(el, name)
  for _, c in ipairs(el.classes) do
    if c == name then return true end
  end
  return false
end

local function tags_of(div)
  local t = div.attributes["tags"]
  local set = {}
  if t then
    for tag in t:gmatch('"([^"]+)"') do set[tag:gsub("-", "_")] = true end
  end
  return set
end

-- Quarto cell options: `#| key: value` lines at the top of the source
local function cell_options(code)
  local opts = {}
  for line in (code .. "\n"):gmatch("(.-)\n") do
    local k, v = line:match("^#|%s*([%w%-]+)%s*:%s*(.-)%s*$")
    if k then opts[k] = v else break end
  end
  return opts
end

local function markdown_blocks(text)
  return pandoc.read(text, "markdown").blocks
end

-- an output div's content, with Markdown and (for non-HTML targets) HTML parsed into blocks
local function convert_output(div)
  local out = pandoc.List()
  for _, b in ipairs(div.content) do
    if b.t == "RawBlock" and (b.format == "markdown" or b.format == "ipynb") then
      out:extend(markdown_blocks(b.text))
    elseif b.t == "RawBlock" and b.format == "html" and not FORMAT:match("html") then
      out:extend(pandoc.read(b.text, "html").blocks)
    else
      out:insert(b)
    end
  end
  return out
end

local function is_comment(b)
  return b.t == "RawBlock" and b.format == "html" and b.text:match("^%s*<!%-%-.*%-%->%s*$")
end

-- Cells are unwrapped (their Div would carry the notebook's cell metadata into the HTML).
local function cell(div)
  if not has_class(div, "cell") then return nil end
  if has_class(div, "raw") then
    -- the front-matter cell (its YAML reaches pandoc as --metadata-file instead)
    local first = div.content[1]
    if first and first.t == "RawBlock" and first.text:match("^%s*%-%-%-") then return {} end
    return div.content
  end
  if has_class(div, "markdown") then
    return div.content:filter(function(b) return not is_comment(b) end)
  end
  if not has_class(div, "code") then return div.content end
  local tags = tags_of(div)
  if tags["injected_parameters"] or tags["parameters"] or tags["remove_cell"] then return {} end
  local source = div.content[1]
  local opts = (source and source.t == "CodeBlock") and cell_options(source.text) or {}
  if opts["include"] == "false" then return {} end
  local show_source = echo
  if opts["echo"] then show_source = opts["echo"] ~= "false" end
  if tags["remove_input"] or tags["hide_input"] then show_source = false end
  local keep = pandoc.List()
  for i, b in ipairs(div.content) do
    if i == 1 and b.t == "CodeBlock" then
      if show_source then keep:insert(b) end
    elseif b.t == "Div" and has_class(b, "output") then
      if tags["remove_output"] or opts["output"] == "false" then
        -- dropped
      elseif has_class(b, "stream") and has_class(b, "stderr") and (not warning or opts["warning"] == "false") then
        -- dropped
      else
        keep:extend(convert_output(b))
      end
    else
      keep:insert(b)
    end
  end
  return keep
end

-- alt text: Quarto's `fig-alt` attribute becomes the image's alt (HTML) or image(alt:) (Typst)
local function typst_string(s)
  return '"' .. s:gsub("\\", "\\\\"):gsub('"', '\\"') .. '"'
end

local function figure(fig)
  local img
  fig.content:walk({ Image = function(i) img = i end })
  if not img then return nil end
  local alt = img.attributes["fig-alt"]
  if not alt then return nil end
  if FORMAT:match("typst") then
    local cap = pandoc.write(pandoc.Pandoc({ pandoc.Plain(pandoc.utils.blocks_to_inlines(fig.caption.long)) }), "typst")
    local id = fig.identifier ~= "" and (" <" .. fig.identifier .. ">") or ""
    return pandoc.RawBlock("typst", "#figure(image(" .. typst_string(img.src) .. ", alt: " .. typst_string(alt)
      .. ", width: 100%), caption: [" .. cap:gsub("%s+$", "") .. "])" .. id)
  end
  img.attributes["alt"] = alt
  img.attributes["fig-alt"] = nil
  return fig:walk({ Image = function(_) return img end })
end

-- every table's first column holds its rows' headers (render.finish_html adds scope="row" in HTML)
local function row_headers(t)
  if not FORMAT:match("html") then return nil end
  for _, body in ipairs(t.bodies) do body.row_head_columns = 1 end
  return t
end

return {
  { Meta = function(m)
      local e, w = truthy(m["kvi-echo"]), truthy(m["kvi-warning"])
      if e ~= nil then echo = e end
      if w ~= nil then warning = w end
    end },
  { Div = cell },
  { Figure = figure },
  { Table = row_headers },
}
