using System.Net;
using System.Text;

namespace Trove.Reports.Html;

/// <summary>
/// A minimal self-contained HTML page: inline CSS, no scripts, no external resources; images are
/// linked by relative path so the output folder can be moved or zipped as a whole.
/// </summary>
public sealed class HtmlPage
{
    private readonly StringBuilder _body = new();
    private readonly string _title;

    public HtmlPage(string title) => _title = title;

    public static string Encode(string text) => WebUtility.HtmlEncode(text);

    /// <summary>A relative URL for a file name (each path segment escaped).</summary>
    public static string Href(string relativePath) =>
        string.Join('/', relativePath.Replace('\\', '/').Split('/').Select(Uri.EscapeDataString));

    public HtmlPage Heading(string text, int level = 2) { _body.Append($"<h{level}>{Encode(text)}</h{level}>\n"); return this; }
    public HtmlPage Paragraph(string text, string? cssClass = null)
    {
        _body.Append(cssClass is null ? "<p>" : $"<p class=\"{cssClass}\">").Append(Encode(text)).Append("</p>\n");
        return this;
    }

    /// <summary>A table; the first column is left-aligned, the others right-aligned (numbers). Bold cells may be flagged.</summary>
    public HtmlPage Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows, Func<int, int, bool>? bold = null, string? caption = null,
        IReadOnlyCollection<int>? textColumns = null)
    {
        string Open(string tag, int column) => textColumns is not null && column > 0 && textColumns.Contains(column) ? $"<{tag} class=\"text\">" : $"<{tag}>";
        _body.Append("<table>");
        if (caption is not null) _body.Append("<caption>").Append(Encode(caption)).Append("</caption>");
        _body.Append("<thead><tr>");
        for (int c = 0; c < header.Count; c++) _body.Append(Open("th", c)).Append(Encode(header[c])).Append("</th>");
        _body.Append("</tr></thead><tbody>\n");
        int r = 0;
        foreach (var row in rows)
        {
            _body.Append("<tr>");
            for (int c = 0; c < row.Count; c++)
            {
                bool b = bold?.Invoke(r, c) ?? false;
                _body.Append(Open("td", c)).Append(b ? "<strong>" : "").Append(Encode(row[c])).Append(b ? "</strong></td>" : "</td>");
            }
            _body.Append("</tr>\n");
            r++;
        }
        _body.Append("</tbody></table>\n");
        return this;
    }

    /// <summary>A figure: the PNG shown, a link to its SVG, and a caption.</summary>
    public HtmlPage Figure(string png, string? svg, string title, string caption, int width, int height)
    {
        _body.Append("<figure>")
            .Append($"<img src=\"{Href(png)}\" alt=\"{Encode(title)}\" width=\"{width}\" height=\"{height}\">")
            .Append("<figcaption><strong>").Append(Encode(title)).Append(".</strong> ").Append(Encode(caption));
        if (svg is not null) _body.Append($" <a href=\"{Href(svg)}\">SVG</a>");
        _body.Append("</figcaption></figure>\n");
        return this;
    }

    public HtmlPage Links(IEnumerable<(string Text, string Href)> links)
    {
        _body.Append("<p class=\"links\">");
        _body.Append(string.Join(" · ", links.Select(l => $"<a href=\"{Href(l.Href)}\">{Encode(l.Text)}</a>")));
        _body.Append("</p>\n");
        return this;
    }

    public string Render() =>
        $"""
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{Encode(_title)}</title>
        <style>
        body {"{"} font-family: "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; margin: 2rem auto; max-width: 1000px; padding: 0 1rem; color: #222; line-height: 1.45; {"}"}
        h1 {"{"} font-size: 1.7rem; margin-bottom: .2rem; {"}"}
        h2 {"{"} font-size: 1.3rem; margin-top: 2.2rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; {"}"}
        p.meta {"{"} color: #666; margin-top: 0; {"}"}
        table {"{"} border-collapse: collapse; margin: 1rem 0; font-size: .92rem; {"}"}
        caption {"{"} text-align: left; color: #555; padding-bottom: .3rem; {"}"}
        th, td {"{"} border-bottom: 1px solid #e3e3e3; padding: .3rem .7rem; text-align: right; {"}"}
        th:first-child, td:first-child, th.text, td.text {"{"} text-align: left; {"}"}
        thead th {"{"} border-bottom: 2px solid #999; background: #f6f6f6; {"}"}
        figure {"{"} margin: 1.5rem 0; {"}"}
        figure img {"{"} max-width: 100%; height: auto; border: 1px solid #e5e5e5; {"}"}
        figcaption {"{"} font-size: .92rem; color: #444; margin-top: .3rem; {"}"}
        p.links a, figcaption a {"{"} color: #0b62a4; {"}"}
        </style>
        </head>
        <body>
        <h1>{Encode(_title)}</h1>
        {_body}
        </body>
        </html>

        """;
}
