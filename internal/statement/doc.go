// Package statement renders a creator's yearly earnings statement, for tax,
// as CSV (WriteCSV) and as PDF (WritePDF).
//
// It formats what it is given and computes nothing about money: every figure
// of a Statement is already an exact int64, in minor units of a currency or in
// milli-diamonds, built by the cash-out service from the ledger. Amounts are
// written with the money package (money.Format at the currency's scale,
// money.FormatAsset for diamonds); float64 is never used. Both writers first
// call Statement.Validate, so a statement whose total is not the sum of its
// months is refused rather than printed.
//
// # What the statement shows
//
// Who and when: the platform, the creator (display name, id, country), the
// year, the currency of every fiat figure and the generation time. Then, per
// calendar month and in total: gifts received, diamonds received, their gross
// value, the platform's commission, the creator's net, and what was paid out
// in the month. Then every withdrawal paid in the year (date, id, method,
// diamonds, net in the statement's currency, the amount received in the
// payout currency), the economy's rates in force (the value of a diamond, the
// commission, the diamonds a coin gives) and the yearly reporting threshold,
// with whether the gross reached it.
//
// # CSV layout
//
// UTF-8, comma-separated, "\n" line ends, written with encoding/csv. Three
// blocks, each opened by its own header row and separated by one empty line
// (which encoding/csv readers skip, so read with FieldsPerRecord = -1 and tell
// the blocks apart by their header rows):
//
//	field,value
//	creator_id,<id>
//	display_name,<name>
//	country,<ISO 3166-1 alpha-2 or empty>
//	year,2026
//	currency,USD
//	platform,<name>
//	generated_at,2027-01-05T09:00:00Z
//	diamond_value,0.005
//	commission,0.5
//	diamonds_per_coin,0.5
//	threshold,600.00
//	threshold_reached,yes
//
//	month,gifts,diamonds,gross,commission,net,paid
//	2026-01,<gifts>,<diamonds>,<gross>,<commission>,<net>,<paid>
//	… twelve rows, 2026-01 to 2026-12, every month present …
//	total,<gifts>,<diamonds>,<gross>,<commission>,<net>,<paid>
//
//	withdrawal_id,paid_at,diamonds,net,amount,currency,method
//	<id>,2026-03-31T12:00:00Z,<diamonds>,<net>,<amount>,EUR,<method>
//	… one row per payout, oldest first; none when there were no payouts …
//
// Numbers are plain decimal strings with no grouping: gifts an integer,
// diamonds as money.FormatAsset writes them ("1500", "12.5"), fiat with all
// the minor digits of its currency ("1500.00"). gross, commission, net, paid,
// threshold and a payout's net are in the statement's currency; a payout's
// amount is in that row's currency. Times are RFC 3339 in UTC. The rates are
// written as in the economy file, normalised by decimal parsing
// ("0.50" → "0.5"). threshold_reached is "yes" or "no". A free-text value
// (display name, ids, platform, method) that starts with '=', '+', '-', '@',
// a tab or a carriage return gets a leading apostrophe so a spreadsheet does
// not run it as a formula.
//
// # PDF
//
// One A4 portrait document, Helvetica only (the PDF core fonts, nothing
// embedded), text in Windows-1252: accented Latin names print, and any
// character outside that code page prints as "?". Pages: a header, a note
// box when the reporting threshold was reached, the monthly table with a
// shaded total row, a summary, the payouts table (its header repeated on every
// page it spans) and the rates; every page has a "Page N of M" footer.
//
// # Determinism
//
// The same Statement always gives the same bytes, so both formats are tested
// against golden files. The CSV has no clock or map in it. The PDF takes its
// creation and modification dates from GeneratedAt (in UTC), has fixed
// producer and creator strings, sorts its internal catalogs
// (fpdf.SetCatalogSort) and is written uncompressed: compress/flate's output
// is not promised to stay the same across Go releases, and the documents are
// small.
package statement
