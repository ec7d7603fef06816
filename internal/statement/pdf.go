package statement

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
	"github.com/govalues/decimal"

	"github.com/glint-economy/glint/internal/money"
)

// Page geometry, in millimetres (A4 is 210 × 297).
const (
	marginSide   = 15.0
	marginTop    = 15.0
	marginBottom = 20.0 // room for the footer
	contentWidth = 210 - 2*marginSide
	rowHeight    = 5.5
	lineHeight   = 5.0
)

// pagesAlias stands for the page count until the document is closed. fpdf
// replaces it in every page's content, user text included, so it is made of
// a control character that the text translator never lets through.
const pagesAlias = "\x01pages\x01"

// pdfProducer and pdfCreator are the fixed document-information strings of every
// statement PDF; a version number here would change every golden file.
const (
	pdfProducer = "glint"
	pdfCreator  = "glint statement"
)

// column is one column of a table.
type column struct {
	title string
	width float64
	align string // "L" or "R"
}

var (
	monthColumns = []column{
		{"Month", 28, "L"},
		{"Gifts", 20, "R"},
		{"Diamonds", 32, "R"},
		{"Gross", 25, "R"},
		{"Commission", 25, "R"},
		{"Net", 25, "R"},
		{"Paid out", 25, "R"},
	}
	payoutColumns = []column{
		{"Paid on", 22, "L"},
		{"Withdrawal", 36, "L"},
		{"Method", 50, "L"},
		{"Diamonds", 22, "R"},
		{"Net", 22, "R"},
		{"Amount", 28, "R"},
	}
)

// WritePDF writes s to w as an A4 PDF statement (see the package doc). The
// output depends on s alone, byte for byte. It returns an error wrapping
// ErrInvalid when s does not pass Validate (nothing is written then), an
// error from the PDF library, or the write error of w.
func WritePDF(w io.Writer, s *Statement) error {
	if err := s.Validate(); err != nil {
		return err
	}
	f := fpdf.New("P", "mm", "A4", "")
	d := &pdfDoc{f: f, s: s, tr: cp1252(f.UnicodeTranslatorFromDescriptor(""))}
	d.scale, _ = money.Scale(s.Currency) // checked by Validate

	generated := s.GeneratedAt.UTC()
	f.SetCompression(false)
	f.SetCatalogSort(true)
	f.SetCreationDate(generated)
	f.SetModificationDate(generated)
	f.SetProducer(pdfProducer, false)
	f.SetCreator(pdfCreator, false)
	f.SetTitle(d.title(), true)
	f.SetSubject("Earnings of creator "+s.CreatorID, true)
	f.SetAuthor(s.Platform, true)
	f.SetMargins(marginSide, marginTop, marginSide)
	f.SetAutoPageBreak(true, marginBottom)
	f.AliasNbPages(pagesAlias)
	f.SetFooterFunc(d.footer)

	f.AddPage()
	d.header()
	if s.ThresholdReached {
		d.thresholdNote()
	}
	d.months()
	d.summaryAndRates()
	d.payouts()

	if err := f.Output(w); err != nil {
		return fmt.Errorf("statement: write pdf: %w", err)
	}
	return nil
}

// pdfDoc is one statement being drawn.
type pdfDoc struct {
	f     *fpdf.Fpdf
	s     *Statement
	tr    func(string) string // UTF-8 → Windows-1252
	scale int                 // of s.Currency
}

func (d *pdfDoc) title() string { return fmt.Sprintf("Earnings statement %d", d.s.Year) }

// fiat formats an amount of the statement's currency with digit grouping:
// "1,234.50".
func (d *pdfDoc) fiat(units int64) string { return group(money.Format(units, d.scale)) }

// withCurrency is fiat followed by the currency code: "1,234.50 USD".
func (d *pdfDoc) withCurrency(units int64) string {
	return d.fiat(units) + " " + string(d.s.Currency)
}

func diamonds(milli int64) string { return group(money.FormatAsset(milli, money.Diamond)) }

func (d *pdfDoc) font(style string, size float64) { d.f.SetFont("Helvetica", style, size) }

func (d *pdfDoc) grey()  { d.f.SetTextColor(90, 90, 90) }
func (d *pdfDoc) black() { d.f.SetTextColor(0, 0, 0) }

// cell draws one cell of text (translated to the PDF's code page and cut to
// fit width) and stays on the same line.
func (d *pdfDoc) cell(width, height float64, txt, border, align string, fill bool) {
	d.f.CellFormat(width, height, d.fit(d.tr(txt), width), border, 0, align, fill, 0, "")
}

// fit cuts an already translated string so that it fits in width, ending it
// with an ellipsis. Windows-1252 is one byte per character.
func (d *pdfDoc) fit(txt string, width float64) string {
	room := width - 2*d.f.GetCellMargin()
	if d.f.GetStringWidth(txt) <= room {
		return txt
	}
	const ellipsis = "\x85" // … in Windows-1252
	for n := len(txt) - 1; n > 0; n-- {
		if cut := txt[:n] + ellipsis; d.f.GetStringWidth(cut) <= room {
			return cut
		}
	}
	return ellipsis
}

// room starts a new page unless height millimetres still fit on this one.
func (d *pdfDoc) room(height float64) {
	_, pageHeight := d.f.GetPageSize()
	if d.f.GetY()+height > pageHeight-marginBottom {
		d.f.AddPage()
	}
}

// heading writes a section title, first making sure that it and the next
// minimum millimetres of the section fit on the page.
func (d *pdfDoc) heading(txt string, minimum float64) {
	d.f.Ln(4)
	d.room(8 + minimum)
	d.font("B", 12)
	d.black()
	d.cell(contentWidth, 8, txt, "", "L", false)
	d.f.Ln(8)
}

func (d *pdfDoc) header() {
	s := d.s
	d.font("B", 18)
	d.black()
	d.cell(contentWidth, 10, d.title(), "", "L", false)
	d.f.Ln(10)
	d.font("", 10)
	d.grey()
	d.cell(contentWidth, 6, s.Platform, "", "L", false)
	d.f.Ln(9)

	country := s.Country
	if country == "" {
		country = "—"
	}
	for _, kv := range [][2]string{
		{"Creator", s.DisplayName},
		{"Creator ID", s.CreatorID},
		{"Country", country},
		{"Period", fmt.Sprintf("1 January – 31 December %d", s.Year)},
		{"Currency", string(s.Currency)},
		{"Generated", s.GeneratedAt.UTC().Format("2 January 2006, 15:04 MST")},
	} {
		d.font("", 10)
		d.grey()
		d.cell(32, lineHeight, kv[0], "", "L", false)
		d.font("B", 10)
		d.black()
		d.cell(contentWidth-32, lineHeight, kv[1], "", "L", false)
		d.f.Ln(lineHeight)
	}
}

// thresholdNote is the boxed notice that the gross reached the reporting
// threshold.
func (d *pdfDoc) thresholdNote() {
	s := d.s
	const pad = 3.0
	body := d.tr(fmt.Sprintf(
		"Your gross earnings of %s reached the reporting threshold of %s for %d; "+
			"this statement may be reported to tax authorities. Keep it with your tax records.",
		d.withCurrency(s.Total.Gross), d.withCurrency(s.Threshold), s.Year))
	d.font("", 10)
	lines := d.f.SplitLines([]byte(body), contentWidth-2*pad) // bytes: the text is Windows-1252
	height := pad + 6 + float64(len(lines))*lineHeight + pad

	d.f.Ln(5)
	d.room(height)
	x, y := d.f.GetX(), d.f.GetY()
	d.f.SetFillColor(255, 243, 205)
	d.f.SetDrawColor(214, 158, 46)
	d.f.SetLineWidth(0.5)
	d.f.Rect(x, y, contentWidth, height, "FD")
	d.f.SetLineWidth(0.2)

	d.f.SetXY(x+pad, y+pad)
	d.font("B", 11)
	d.black()
	d.cell(contentWidth-2*pad, 6, "Reporting threshold reached", "", "L", false)
	d.font("", 10)
	for i, line := range lines {
		d.f.SetXY(x+pad, y+pad+6+float64(i)*lineHeight)
		d.f.CellFormat(contentWidth-2*pad, lineHeight, string(line), "", 0, "L", false, 0, "")
	}
	d.f.SetXY(x, y+height)
}

// tableHeader draws the shaded header row of a table.
func (d *pdfDoc) tableHeader(cols []column) {
	d.font("B", 9)
	d.black()
	d.f.SetFillColor(225, 228, 234)
	d.f.SetDrawColor(160, 160, 160)
	for _, c := range cols {
		d.cell(c.width, rowHeight+1, c.title, "B", c.align, true)
	}
	d.f.Ln(rowHeight + 1)
}

// tableRow draws one row; total rows are bold and shaded.
func (d *pdfDoc) tableRow(cols []column, values []string, total bool) {
	if total {
		d.font("B", 9)
		d.f.SetFillColor(236, 236, 236)
		d.f.SetDrawColor(120, 120, 120)
	} else {
		d.font("", 9)
		d.f.SetDrawColor(215, 215, 215)
	}
	border := "B"
	if total {
		border = "TB"
	}
	for i, c := range cols {
		d.cell(c.width, rowHeight, values[i], border, c.align, total)
	}
	d.f.Ln(rowHeight)
}

func (d *pdfDoc) monthValues(label string, m Month) []string {
	return []string{
		label,
		strconv.FormatInt(m.Gifts, 10),
		diamonds(m.Diamonds),
		d.fiat(m.Gross),
		d.fiat(m.Commission),
		d.fiat(m.Net),
		d.fiat(m.Paid),
	}
}

func (d *pdfDoc) months() {
	s := d.s
	d.heading(fmt.Sprintf("Earnings by month (%s)", s.Currency), rowHeight+1+13*rowHeight)
	d.tableHeader(monthColumns)
	for i, m := range s.Months {
		d.tableRow(monthColumns, d.monthValues(time.Month(i+1).String(), m), false)
	}
	d.tableRow(monthColumns, d.monthValues("Total", s.Total), true)
}

// summaryAndRates draws the year's totals and, beside them, the economy's
// rates in force.
func (d *pdfDoc) summaryAndRates() {
	s := d.s
	reached := "not reached"
	if s.ThresholdReached {
		reached = "reached"
	}
	summary := [][2]string{
		{"Gifts received", strconv.FormatInt(s.Total.Gifts, 10)},
		{"Diamonds received", diamonds(s.Total.Diamonds)},
		{"Gross earnings", d.withCurrency(s.Total.Gross)},
		{"Platform commission", d.withCurrency(s.Total.Commission)},
		{"Net earnings", d.withCurrency(s.Total.Net)},
		{fmt.Sprintf("Paid out in %d", s.Year), d.withCurrency(s.Total.Paid)},
		{"Reporting threshold", d.withCurrency(s.Threshold) + " (" + reached + ")"},
	}
	rates := []string{
		fmt.Sprintf("1 diamond = %s %s", rate(s.DiamondValue), s.Currency),
		fmt.Sprintf("Platform commission: %s of gross", percent(s.Commission)),
		fmt.Sprintf("%s diamonds per coin sent", rate(s.DiamondsPerCoin)),
	}
	const (
		leftWidth  = 110.0
		rightX     = marginSide + leftWidth + 8
		rightWidth = contentWidth - leftWidth - 8
	)
	d.f.Ln(4)
	d.room(8 + float64(len(summary))*lineHeight)
	top := d.f.GetY()

	d.font("B", 12)
	d.black()
	d.cell(leftWidth, 8, fmt.Sprintf("Summary for %d", s.Year), "", "L", false)
	d.f.SetX(rightX)
	d.cell(rightWidth, 8, "Rates in force", "", "L", false)

	for i, kv := range summary {
		style := ""
		if i == 4 { // net earnings
			style = "B"
		}
		d.font(style, 10)
		d.f.SetXY(marginSide, top+8+float64(i)*lineHeight)
		d.cell(50, lineHeight, kv[0], "", "L", false)
		d.cell(leftWidth-50, lineHeight, kv[1], "", "R", false)
	}
	d.font("", 10)
	for i, l := range rates {
		d.f.SetXY(rightX, top+8+float64(i)*lineHeight)
		d.cell(rightWidth, lineHeight, l, "", "L", false)
	}
	d.f.SetXY(marginSide, top+8+float64(len(summary))*lineHeight)
}

func (d *pdfDoc) payouts() {
	s := d.s
	d.heading(fmt.Sprintf("Payouts in %d", s.Year), rowHeight+1+rowHeight)
	if len(s.Payouts) == 0 {
		d.font("I", 10)
		d.grey()
		d.cell(contentWidth, lineHeight+0.5, fmt.Sprintf("No payouts were made in %d.", s.Year), "", "L", false)
		d.f.Ln(lineHeight + 0.5)
		return
	}
	d.tableHeader(payoutColumns)
	_, pageHeight := d.f.GetPageSize()
	for _, p := range s.Payouts {
		if d.f.GetY()+rowHeight > pageHeight-marginBottom {
			d.f.AddPage()
			d.font("I", 9)
			d.grey()
			d.cell(contentWidth, lineHeight, fmt.Sprintf("Payouts in %d (continued)", s.Year), "", "L", false)
			d.f.Ln(lineHeight + 1)
			d.tableHeader(payoutColumns)
		}
		pscale, _ := money.Scale(p.Currency) // checked by Validate
		paidOn := ""
		if !p.PaidAt.IsZero() {
			paidOn = p.PaidAt.UTC().Format("2006-01-02")
		}
		d.black()
		d.tableRow(payoutColumns, []string{
			paidOn,
			p.WithdrawalID,
			p.Method,
			diamonds(p.Diamonds),
			d.fiat(p.Net),
			group(money.Format(p.Amount, pscale)) + " " + string(p.Currency),
		}, false)
	}
	d.font("", 8)
	d.grey()
	d.cell(contentWidth, lineHeight,
		fmt.Sprintf("Net is in %s; Amount is what was received, in the payout's currency.", s.Currency),
		"", "L", false)
	d.f.Ln(lineHeight)
}

func (d *pdfDoc) footer() {
	s := d.s
	d.f.SetY(-marginBottom + 6)
	d.f.SetDrawColor(200, 200, 200)
	d.f.Line(marginSide, d.f.GetY(), marginSide+contentWidth, d.f.GetY())
	d.font("", 8)
	d.grey()
	d.cell(contentWidth-30, lineHeight, fmt.Sprintf("%s · %s · %s", s.Platform, d.title(), s.CreatorID), "", "L", false)
	// Left-aligned at a fixed place: the width of the alias is not that of
	// the page count that replaces it, so right alignment would drift.
	d.f.CellFormat(30, lineHeight, fmt.Sprintf("Page %d of %s", d.f.PageNo(), pagesAlias), "", 0, "L", false, 0, "")
}

// percent writes a rate as a percentage with decimal arithmetic: "0.5" is
// "50%", "0.125" is "12.5%". Validate has checked that it parses.
func percent(v string) string {
	r, err := decimal.Parse(v)
	if err != nil {
		return v
	}
	p, err := r.Mul(decimal.Hundred)
	if err != nil {
		return v
	}
	return p.Trim(0).String() + "%"
}

// group inserts thousands separators in the integer part of a decimal
// string: "1234567.89" is "1,234,567.89".
func group(v string) string {
	sign := ""
	if strings.HasPrefix(v, "-") {
		sign, v = "-", v[1:]
	}
	whole, frac, hasFrac := strings.Cut(v, ".")
	var b strings.Builder
	b.WriteString(sign)
	for i := range len(whole) {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(whole[i])
	}
	if hasFrac {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}

// cp1252 wraps fpdf's Windows-1252 translator so that a character outside
// the code page, a control character or invalid UTF-8 prints as "?" (fpdf's
// own translator prints ".").
func cp1252(tr func(string) string) func(string) string {
	return func(s string) string {
		var b strings.Builder
		for _, r := range s {
			switch {
			case r < 0x20 || r == 0x7f:
				b.WriteByte('?')
			case r < 0x80:
				b.WriteRune(r)
			default:
				t := tr(string(r))
				if t == "." { // not in the code page
					t = "?"
				}
				b.WriteString(t)
			}
		}
		return b.String()
	}
}
