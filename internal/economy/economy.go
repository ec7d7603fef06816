// Package economy holds the rules of the gifting economy — the economy file —
// and the pure functions that apply them (the calculator).
//
// Every number of the economy (diamond value, gift→diamond rate, commission,
// withdrawal minimum and limits, price books, gift catalog …) is read from an
// economy file. The "seed" preset, embedded in the binary, reproduces the
// product brief. No rule of the economy is written as a literal anywhere else
// in glint.
package economy

import (
	"bytes"
	_ "embed"
	"encoding"
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/govalues/decimal"
	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"

	"github.com/glint-economy/glint/internal/money"
)

//go:embed seed.toml
var seedFile []byte

// SeedFile returns the embedded seed preset exactly as shipped, comments
// included.
func SeedFile() []byte { return bytes.Clone(seedFile) }

// Seed returns the parsed seed preset. It panics if the embedded file is
// invalid, which the tests rule out.
func Seed() *Economy {
	e, err := Parse(seedFile)
	if err != nil {
		panic(fmt.Sprintf("economy: embedded seed preset is invalid: %v", err))
	}
	return e
}

// Economy is a parsed and validated economy file.
type Economy struct {
	Name     string      `toml:"name"`
	Diamond  Diamond     `toml:"diamond"`
	Gifting  Gifting     `toml:"gifting"`
	Cashout  Cashout     `toml:"cashout"`
	Bans     Bans        `toml:"bans"`
	Tax      Tax         `toml:"tax"`
	Viewers  Viewers     `toml:"viewers"`
	Reversal Reversal    `toml:"chargebacks"`
	Review   Review      `toml:"review"`
	Levels   Levels      `toml:"levels"`
	Packages []PriceBook `toml:"packages"`
	Gifts    []Gift      `toml:"gifts"`

	// Raw is the file the economy was parsed from.
	Raw []byte `toml:"-"`

	gifts map[string]*Gift
}

// Diamond is the value of one diamond.
type Diamond struct {
	Value    decimal.Decimal `toml:"value"`
	Currency money.Asset     `toml:"currency"`
}

// Gifting holds the rules of sending gifts.
type Gifting struct {
	DiamondsPerCoin   decimal.Decimal `toml:"diamonds_per_coin"`
	MaxQuantity       int64           `toml:"max_quantity"`
	StreakIdleTimeout Duration        `toml:"streak_idle_timeout"`
}

// Cashout holds the rules of turning diamonds into money.
type Cashout struct {
	Commission        decimal.Decimal `toml:"commission"`
	MinimumDiamonds   string          `toml:"minimum_diamonds"`
	MaxWithdrawals    int             `toml:"max_withdrawals"`
	Period            Duration        `toml:"period"`
	MaxPerPeriod      Money           `toml:"max_per_period"`
	Methods           []string        `toml:"methods"`
	HoldingPeriodDays int             `toml:"holding_period_days"`
	KYCRequired       bool            `toml:"kyc_required"`
	LockFXAtRequest   bool            `toml:"lock_fx_at_request"`

	// MinimumMilli is MinimumDiamonds in milli-diamonds, set by validation.
	MinimumMilli int64 `toml:"-"`
}

// Bans holds the policy for banned accounts.
type Bans struct {
	AppealWindowDays int `toml:"appeal_window_days"`
}

// Tax holds the tax-reporting rules.
type Tax struct {
	StatementThreshold Money `toml:"statement_threshold"`
}

// Viewers holds the rules that protect viewers.
type Viewers struct {
	DailySpendCap int64 `toml:"daily_spend_cap"`
	// MaxGiftsPerMinute bounds gift requests per viewer per minute (0: no limit).
	MaxGiftsPerMinute int64 `toml:"max_gifts_per_minute"`
}

// Review holds the anomaly rule that holds a creator's payouts for review.
type Review struct {
	// NewAccountCoinsPerHour: more coins than this received in the last
	// hour from accounts younger than NewAccountDays holds the creator's
	// payouts (0: the rule is off).
	NewAccountCoinsPerHour int64 `toml:"new_account_coins_per_hour"`
	NewAccountDays         int   `toml:"new_account_days"`
}

// Reversal is the policy for refunds and chargebacks (docs/ECONOMY.md).
type Reversal struct {
	// TakeBackCoins takes the refunded share of a purchase's coins back
	// from the buyer, as a receivable when they were already spent.
	TakeBackCoins bool `toml:"take_back_coins"`
	// ClawBackDiamonds takes the diamonds those spent coins produced back
	// from the creators (pending first, then as a receivable).
	ClawBackDiamonds bool `toml:"claw_back_diamonds"`
	// PausePayouts refuses a creator's withdrawals while they owe diamonds.
	PausePayouts bool `toml:"pause_payouts"`
}

// PriceBook is the list of coin packages sold on one channel in one currency.
type PriceBook struct {
	Channel  string  `toml:"channel"`
	Currency string  `toml:"currency"`
	Prices   []Price `toml:"prices"`
}

// Price is one coin package of a price book.
type Price struct {
	Coins int64  `toml:"coins"`
	Price string `toml:"price"`
}

// Gift is one entry of the gift catalog.
type Gift struct {
	ID          string           `toml:"id"`
	Name        string           `toml:"name"`
	Coins       int64            `toml:"coins"`
	Streakable  bool             `toml:"streakable"`
	DiamondRate *decimal.Decimal `toml:"diamond_rate,omitempty"`
}

// Money is an exact amount of a currency, written "<decimal> <CUR>" in the file.
type Money struct {
	Units    int64
	Currency money.Asset
}

// UnmarshalText parses "1000 USD".
func (m *Money) UnmarshalText(b []byte) error {
	amount, cur, ok := strings.Cut(strings.TrimSpace(string(b)), " ")
	if !ok {
		return fmt.Errorf("want \"<amount> <CURRENCY>\", e.g. \"1000 USD\", got %q", b)
	}
	c, err := money.ParseCurrency(strings.TrimSpace(cur))
	if err != nil {
		return err
	}
	scale, _ := money.Scale(c)
	u, err := money.Parse(strings.TrimSpace(amount), scale)
	if err != nil {
		return err
	}
	m.Units, m.Currency = u, c
	return nil
}

// MarshalText writes "1000.00 USD".
func (m Money) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// String writes "1000.00 USD".
func (m Money) String() string {
	return money.FormatAsset(m.Units, m.Currency) + " " + string(m.Currency)
}

// Decimal returns the amount as a decimal in its currency.
func (m Money) Decimal() decimal.Decimal {
	scale, _ := money.Scale(m.Currency)
	return money.Decimal(m.Units, scale)
}

// Duration is a time.Duration written as a Go duration string ("24h").
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("want a duration such as \"24h\" or \"5s\", got %q", b)
	}
	d.Duration = v
	return nil
}

// MarshalText writes the Go duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Load reads and validates an economy file.
func Load(path string) (*Economy, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("economy: %w", err)
	}
	e, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return e, nil
}

// FieldError points at the field of an economy file that is wrong.
type FieldError struct {
	Field   string // e.g. "gifts[3].coins"
	Line    int    // 1-based, 0 when unknown
	Message string
}

// Error writes "line 12: gifts[3].coins: must be greater than zero", leaving
// out the line or the field when it is not known.
func (e *FieldError) Error() string {
	switch {
	case e.Field == "" && e.Line > 0:
		return fmt.Sprintf("line %d: %s", e.Line, e.Message)
	case e.Field == "":
		return e.Message
	case e.Line > 0:
		return fmt.Sprintf("line %d: %s: %s", e.Line, e.Field, e.Message)
	}
	return fmt.Sprintf("%s: %s", e.Field, e.Message)
}

// Parse decodes and validates an economy file. Unknown keys, malformed values
// and broken rules are errors; the error is a *FieldError naming the field as
// a path with indices ("gifts[3].coins") and, when the field is written in
// the file, its line. A TOML syntax error is a *FieldError with no field.
func Parse(b []byte) (*Economy, error) {
	var e Economy
	dec := toml.NewDecoder(bytes.NewReader(b)).DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return nil, decodeError(b, err)
	}
	e.Raw = bytes.Clone(b)
	if err := e.validate(); err != nil {
		var fe *FieldError
		if errors.As(err, &fe) && fe.Line == 0 {
			fe.Line = fieldLine(b, fe.Field)
		}
		return nil, err
	}
	return &e, nil
}

// decodeError turns an error of the TOML decoder into a *FieldError whose
// field carries array indices ("gifts[4].coins", where the decoder only says
// "gifts.coins").
func decodeError(b []byte, err error) error {
	var se *toml.StrictMissingError
	if errors.As(err, &se) && len(se.Errors) > 0 {
		first := se.Errors[0]
		row, _ := first.Position()
		return &FieldError{Field: fieldAt(b, row, first.Key()), Line: row, Message: "unknown field"}
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, _ := de.Position()
		msg := strings.TrimPrefix(de.Error(), "toml: ")
		if len(de.Key()) == 0 {
			return &FieldError{Line: row, Message: "invalid TOML: " + msg}
		}
		return &FieldError{Field: fieldAt(b, row, de.Key()), Line: row, Message: msg}
	}
	// The decoder passes a value that is not a TOML string (period = -1) to
	// UnmarshalText without saying where it was: find it.
	if fe := textValueError(b, err); fe != nil {
		return fe
	}
	return &FieldError{Message: err.Error()}
}

// textFields maps the keys whose values are read by UnmarshalText
// (durations, amounts, decimals), without indices ("gifts.diamond_rate"),
// to their type.
var textFields = func() map[string]reflect.Type {
	out := map[string]reflect.Type{}
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
			if name == "" || name == "-" {
				continue
			}
			ft := f.Type
			for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			switch {
			case reflect.PointerTo(ft).Implements(reflect.TypeFor[encoding.TextUnmarshaler]()):
				out[prefix+name] = ft
			case ft.Kind() == reflect.Struct:
				walk(ft, prefix+name+".")
			}
		}
	}
	walk(reflect.TypeFor[Economy](), "")
	return out
}()

// textValueError returns a *FieldError for the first value of a text field
// (textFields), in the file's order, that is not a TOML string and that
// the field's UnmarshalText refuses, with err's message; nil if none.
func textValueError(b []byte, err error) *FieldError {
	var p unstable.Parser
	p.Reset(b)
	var found *FieldError
	var visit func(kv *unstable.Node, prefix string)
	visit = func(kv *unstable.Node, prefix string) {
		path := joinKey(prefix, kv.Key())
		v := kv.Value()
		switch v.Kind {
		case unstable.String:
		case unstable.InlineTable:
			for it := v.Children(); found == nil && it.Next(); {
				visit(it.Node(), path)
			}
		case unstable.Array:
			for it := v.Children(); found == nil && it.Next(); {
				if el := it.Node(); el.Kind == unstable.InlineTable {
					for c := el.Children(); found == nil && c.Next(); {
						visit(c.Node(), path)
					}
				}
			}
		default:
			t, ok := textFields[path]
			if ok && reflect.New(t).Interface().(encoding.TextUnmarshaler).UnmarshalText(v.Data) != nil {
				line := nodeLine(&p, kv)
				found = &FieldError{Field: fieldAt(b, line, strings.Split(path, ".")), Line: line, Message: err.Error()}
			}
		}
	}
	prefix := ""
	for found == nil && p.NextExpression() {
		switch n := p.Expression(); n.Kind {
		case unstable.Table, unstable.ArrayTable:
			prefix = joinKey("", n.Key())
		case unstable.KeyValue:
			visit(n, prefix)
		}
	}
	return found
}

// fieldLine returns the line of a field path ("gifts[3].coins") in a TOML
// document, or of its closest written parent ("gifts[3]" when coins is
// missing), or 0.
func fieldLine(b []byte, field string) int {
	lines := fieldLines(b)
	for field != "" {
		if l, ok := lines[field]; ok {
			return l
		}
		i := strings.LastIndexAny(field, ".[")
		if i < 0 {
			break
		}
		field = field[:i]
	}
	return 0
}

// fieldAt returns the indexed path of the field the decoder reported at a
// line as key (without indices), or the key joined with dots.
func fieldAt(b []byte, line int, key []string) string {
	want := strings.Join(key, ".")
	var found []string
	for path, l := range fieldLines(b) {
		if l == line && indexRE.ReplaceAllString(path, "") == want {
			found = append(found, path)
		}
	}
	if len(found) == 0 {
		return want
	}
	slices.Sort(found)
	return found[0]
}

var indexRE = regexp.MustCompile(`\[[0-9]+\]`)

// fieldLines maps the path of every table, key and array element written in
// a TOML document to its 1-based line. Paths are written as in FieldError:
// "cashout.commission", "gifts[3]", "gifts[3].coins",
// "packages[0].prices[2].price". It stops at a syntax error.
func fieldLines(b []byte) map[string]int {
	lines := map[string]int{}
	var p unstable.Parser
	p.Reset(b)
	prefix := ""
	arrays := map[string]int{} // array-table path → elements seen
	// tablePath writes a table header's key with the index of the last
	// element of every array table it goes through: [[a.b]] after [[a]]
	// twice is "a[1].b".
	tablePath := func(key unstable.Iterator) string {
		path := ""
		for key.Next() {
			if path != "" {
				if n, ok := arrays[path]; ok {
					path = fmt.Sprintf("%s[%d]", path, n-1)
				}
				path += "."
			}
			path += string(key.Node().Data)
		}
		return path
	}
	for p.NextExpression() {
		n := p.Expression()
		switch n.Kind {
		case unstable.Table:
			prefix = tablePath(n.Key())
			lines[prefix] = nodeLine(&p, n)
		case unstable.ArrayTable:
			path := tablePath(n.Key())
			prefix = fmt.Sprintf("%s[%d]", path, arrays[path])
			arrays[path]++
			lines[prefix] = nodeLine(&p, n)
		case unstable.KeyValue:
			keyValueLines(&p, n, prefix, lines)
		}
	}
	return lines
}

func keyValueLines(p *unstable.Parser, kv *unstable.Node, prefix string, lines map[string]int) {
	path := joinKey(prefix, kv.Key())
	lines[path] = nodeLine(p, kv)
	valueLines(p, kv.Value(), path, lines)
}

func valueLines(p *unstable.Parser, v *unstable.Node, path string, lines map[string]int) {
	switch v.Kind {
	case unstable.Array:
		it := v.Children()
		for i := 0; it.Next(); i++ {
			el := it.Node()
			elPath := fmt.Sprintf("%s[%d]", path, i)
			if l := nodeLine(p, el); l > 0 {
				lines[elPath] = l
			}
			valueLines(p, el, elPath, lines)
		}
	case unstable.InlineTable:
		it := v.Children()
		for it.Next() {
			if kv := it.Node(); kv.Kind == unstable.KeyValue {
				keyValueLines(p, kv, path, lines)
			}
		}
	}
}

// joinKey appends the parts of a (dotted) key to prefix with dots.
func joinKey(prefix string, key unstable.Iterator) string {
	parts := []string{}
	if prefix != "" {
		parts = append(parts, prefix)
	}
	for key.Next() {
		parts = append(parts, string(key.Node().Data))
	}
	return strings.Join(parts, ".")
}

// nodeLine is the line where a node starts: its own range or, for tables and
// key-values, the range of its first key part.
func nodeLine(p *unstable.Parser, n *unstable.Node) int {
	if n.Raw.Length > 0 {
		return p.Shape(n.Raw).Start.Line
	}
	if n.Kind == unstable.Table || n.Kind == unstable.ArrayTable || n.Kind == unstable.KeyValue {
		if it := n.Key(); it.Next() && it.Node().Raw.Length > 0 {
			return p.Shape(it.Node().Raw).Start.Line
		}
	}
	return 0
}

var giftIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)

func (e *Economy) validate() error {
	bad := func(field, format string, args ...any) error {
		return &FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
	}
	if e.Name == "" {
		return bad("name", "must be set")
	}
	if !e.Diamond.Value.IsPos() {
		return bad("diamond.value", "must be greater than zero")
	}
	if !money.IsCurrency(string(e.Diamond.Currency)) {
		return bad("diamond.currency", "unknown ISO 4217 currency %q (write it in capitals)", e.Diamond.Currency)
	}
	if err := checkRate(e.Gifting.DiamondsPerCoin); err != nil {
		return bad("gifting.diamonds_per_coin", "%v", err)
	}
	if e.Gifting.MaxQuantity < 1 {
		return bad("gifting.max_quantity", "must be at least 1")
	}
	if e.Gifting.StreakIdleTimeout.Duration <= 0 {
		return bad("gifting.streak_idle_timeout", "must be a positive duration")
	}
	c := &e.Cashout
	if c.Commission.IsNeg() || c.Commission.Cmp(decimal.One) >= 0 {
		return bad("cashout.commission", "must be at least 0 and below 1, got %s", c.Commission)
	}
	min, err := money.ParseAsset(c.MinimumDiamonds, money.Diamond)
	if err != nil || min <= 0 {
		return bad("cashout.minimum_diamonds", "must be a positive number of diamonds with at most 3 decimals, got %q", c.MinimumDiamonds)
	}
	c.MinimumMilli = min
	if c.MaxWithdrawals < 1 {
		return bad("cashout.max_withdrawals", "must be at least 1")
	}
	if c.Period.Duration <= 0 {
		return bad("cashout.period", "must be a positive duration")
	}
	if c.MaxPerPeriod.Units <= 0 {
		return bad("cashout.max_per_period", "must be greater than zero")
	}
	if c.MaxPerPeriod.Currency != e.Diamond.Currency {
		return bad("cashout.max_per_period", "must be in %s, the currency of diamond.value", e.Diamond.Currency)
	}
	if len(c.Methods) == 0 {
		return bad("cashout.methods", "at least one payout method is needed")
	}
	for i, m := range c.Methods {
		if m != "paypal" && m != "bank" {
			return bad(fmt.Sprintf("cashout.methods[%d]", i), "unknown payout method %q (known: paypal, bank)", m)
		}
	}
	if c.HoldingPeriodDays < 0 {
		return bad("cashout.holding_period_days", "must not be negative")
	}
	if e.Bans.AppealWindowDays < 0 {
		return bad("bans.appeal_window_days", "must not be negative")
	}
	if e.Tax.StatementThreshold.Units <= 0 {
		return bad("tax.statement_threshold", "must be greater than zero")
	}
	if e.Tax.StatementThreshold.Currency != e.Diamond.Currency {
		return bad("tax.statement_threshold", "must be in %s, the currency of diamond.value", e.Diamond.Currency)
	}
	if !c.LockFXAtRequest {
		return bad("cashout.lock_fx_at_request", "false is not supported: glint locks the rate when a withdrawal is requested, so the creator is paid what they were shown")
	}
	if e.Viewers.DailySpendCap < 0 {
		return bad("viewers.daily_spend_cap", "must not be negative (0 means no cap)")
	}
	if e.Viewers.MaxGiftsPerMinute < 0 {
		return bad("viewers.max_gifts_per_minute", "must not be negative (0 means no limit)")
	}
	if e.Review.NewAccountCoinsPerHour < 0 {
		return bad("review.new_account_coins_per_hour", "must not be negative (0 turns the rule off)")
	}
	if e.Review.NewAccountCoinsPerHour > 0 && e.Review.NewAccountDays < 1 {
		return bad("review.new_account_days", "must be at least 1 when the rule is on")
	}
	if err := e.Levels.validate(); err != nil {
		return err
	}
	if len(e.Packages) == 0 {
		return bad("packages", "at least one price book is needed")
	}
	books := map[string]bool{}
	for i, pb := range e.Packages {
		f := fmt.Sprintf("packages[%d]", i)
		if pb.Channel != "web" && pb.Channel != "app" {
			return bad(f+".channel", "must be \"web\" or \"app\", got %q", pb.Channel)
		}
		cur, err := money.ParseCurrency(pb.Currency)
		if err != nil || string(cur) != pb.Currency {
			return bad(f+".currency", "unknown ISO 4217 currency %q (write it in capitals)", pb.Currency)
		}
		key := pb.Channel + "/" + pb.Currency
		if books[key] {
			return bad(f, "a second %s price book in %s", pb.Channel, pb.Currency)
		}
		books[key] = true
		if len(pb.Prices) == 0 {
			return bad(f+".prices", "must list at least one package")
		}
		seen := map[int64]bool{}
		for j, p := range pb.Prices {
			pf := fmt.Sprintf("%s.prices[%d]", f, j)
			if p.Coins <= 0 {
				return bad(pf+".coins", "must be greater than zero")
			}
			if seen[p.Coins] {
				return bad(pf+".coins", "%d coins listed twice", p.Coins)
			}
			seen[p.Coins] = true
			if u, err := money.ParseAsset(p.Price, cur); err != nil || u <= 0 {
				return bad(pf+".price", "must be a positive %s amount, got %q", pb.Currency, p.Price)
			}
		}
	}
	if len(e.Gifts) == 0 {
		return bad("gifts", "the catalog needs at least one gift")
	}
	e.gifts = make(map[string]*Gift, len(e.Gifts))
	for i := range e.Gifts {
		g := &e.Gifts[i]
		f := fmt.Sprintf("gifts[%d]", i)
		if fe := CheckGift(*g); fe != nil {
			fe.Field = f + "." + fe.Field
			return fe
		}
		if _, dup := e.gifts[g.ID]; dup {
			return bad(f+".id", "gift %q listed twice", g.ID)
		}
		e.gifts[g.ID] = g
	}
	return nil
}

// MaxGiftCoins bounds a gift's price: a billion coins (about 14 million USD
// at the seed's prices) is far above any real gift, and keeps every product
// of price, quantity and rate far from overflowing.
const MaxGiftCoins = 1_000_000_000

// CheckGift checks one gift of a catalog, from the file or from an admin
// edit. The error's Field is relative to the gift: "id", "name", "coins" or
// "diamond_rate".
func CheckGift(g Gift) *FieldError {
	switch {
	case !giftIDPattern.MatchString(g.ID):
		return &FieldError{Field: "id", Message: fmt.Sprintf("must be lower-case letters, digits and dashes, got %q", g.ID)}
	case strings.TrimSpace(g.Name) == "":
		return &FieldError{Field: "name", Message: "must be set"}
	case g.Coins <= 0:
		return &FieldError{Field: "coins", Message: "must be greater than zero"}
	case g.Coins > MaxGiftCoins:
		return &FieldError{Field: "coins", Message: fmt.Sprintf("must be at most %d", MaxGiftCoins)}
	}
	if g.DiamondRate != nil {
		if err := checkRate(*g.DiamondRate); err != nil {
			return &FieldError{Field: "diamond_rate", Message: err.Error()}
		}
	}
	return nil
}

func checkRate(r decimal.Decimal) error {
	if !r.IsPos() {
		return fmt.Errorf("must be greater than zero, got %s", r)
	}
	if r.Scale() > 3 {
		return fmt.Errorf("at most 3 decimal places (diamonds are kept in thousandths), got %s", r)
	}
	return nil
}

// Gift returns the catalog entry with the given id (case-insensitive).
func (e *Economy) Gift(id string) (*Gift, bool) {
	g, ok := e.gifts[strings.ToLower(id)]
	return g, ok
}

// GiftRate returns the diamonds-per-coin rate of a gift: its own override or
// the economy's default.
func (e *Economy) GiftRate(g *Gift) decimal.Decimal {
	if g != nil && g.DiamondRate != nil {
		return *g.DiamondRate
	}
	return e.Gifting.DiamondsPerCoin
}

// DiamondsForCoins returns the milli-diamonds a creator earns for coins spent
// at rate (diamonds per coin), with the rounding rule of package money.
func DiamondsForCoins(coins int64, rate decimal.Decimal) (int64, error) {
	return money.Convert(coins, 0, rate, 3)
}

// PriceBook returns the price book of a channel and currency.
func (e *Economy) PriceBook(channel string, currency money.Asset) (*PriceBook, bool) {
	for i := range e.Packages {
		if e.Packages[i].Channel == channel && e.Packages[i].Currency == string(currency) {
			return &e.Packages[i], true
		}
	}
	return nil, false
}

// PackageID is the stable id of a coin package: "web-usd-350".
func PackageID(channel string, currency money.Asset, coins int64) string {
	return fmt.Sprintf("%s-%s-%d", channel, strings.ToLower(string(currency)), coins)
}

// Package is a coin package resolved from a price book.
type Package struct {
	ID       string
	Channel  string
	Currency money.Asset
	Coins    int64
	Price    int64 // minor units of Currency
}

// Packages lists the packages of a price book.
func (pb *PriceBook) Packages() []Package {
	cur := money.Asset(pb.Currency)
	out := make([]Package, 0, len(pb.Prices))
	for _, p := range pb.Prices {
		units, _ := money.ParseAsset(p.Price, cur) // validated on load
		out = append(out, Package{ID: PackageID(pb.Channel, cur, p.Coins), Channel: pb.Channel, Currency: cur, Coins: p.Coins, Price: units})
	}
	return out
}

// FindPackage resolves a package id ("web-usd-350") in every price book.
func (e *Economy) FindPackage(id string) (Package, bool) {
	for i := range e.Packages {
		for _, p := range e.Packages[i].Packages() {
			if p.ID == id {
				return p, true
			}
		}
	}
	return Package{}, false
}
