package gifting

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/glint-economy/glint/internal/economy"
	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/money"
)

// WriteFunc submits an operation to the single ledger writer (the batcher)
// and waits until it is committed or refused.
type WriteFunc func(ctx context.Context, op func(Tx) error) error

// Event is something that happened to a stream, published after commit.
type Event struct {
	StreamID string
	Type     string // "gift", "stream.ended", "combo.ended", "goal"
	Data     any
}

// Service runs the gifting use cases.
type Service struct {
	econ      *economy.Economy
	fx        *money.Live
	write     WriteFunc
	writeMany WriteManyFunc
	read      Reader
	provider  map[string]PaymentProvider
	publish   func(Event)
	now       func() time.Time
	folder    *folder // nil without Config.Boards
}

// Config wires a Service.
type Config struct {
	Economy   *economy.Economy
	FX        *money.Live
	Write     WriteFunc
	WriteMany WriteManyFunc // optional: submits a batch of gifts at once
	Read      Reader
	Providers []PaymentProvider
	Publish   func(Event) // may be nil
	Now       func() time.Time
	// Boards folds the journal into the creators' leaderboards (fold.go);
	// without it they are only as fresh as someone else's folds.
	Boards BoardFolder
}

// NewService returns a Service.
func NewService(c Config) *Service {
	s := &Service{econ: c.Economy, fx: c.FX, write: c.Write, writeMany: c.WriteMany, read: c.Read, publish: c.Publish, now: c.Now, provider: map[string]PaymentProvider{}}
	for _, p := range c.Providers {
		s.provider[p.Name()] = p
	}
	if c.Boards != nil {
		s.folder = newFolder(c.Boards)
	}
	if s.publish == nil {
		s.publish = func(Event) {}
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// FX returns the FX table in force.
func (s *Service) FX() *money.Live { return s.fx }

// Economy returns the economy the service applies.
func (s *Service) Economy() *economy.Economy { return s.econ }

// Idem is the idempotency key of a request, already scoped to the caller,
// and the hash of the request. A zero Idem runs the request without
// idempotency.
type Idem struct {
	Key  string
	Hash string
}

// Once runs fn at most once per idem key inside tx, storing its result as
// JSON; a replay decodes the stored result. It reports whether it replayed.
func Once[R any](ctx context.Context, tx Tx, idem Idem, fn func() (*R, error)) (*R, bool, error) {
	if idem.Key == "" {
		r, err := fn()
		return r, false, err
	}
	var first *R
	_, body, replay, err := ledger.Once(ctx, tx, idem.Key, idem.Hash, func() (int, []byte, error) {
		r, err := fn()
		if err != nil {
			return 0, nil, err
		}
		first = r
		b, err := json.Marshal(r)
		return 200, b, err
	})
	if err != nil {
		if errors.Is(err, ledger.ErrIdempotencyConflict) {
			return nil, false, Conflict("idempotency_conflict", nil, "this Idempotency-Key was already used with a different request")
		}
		return nil, false, err
	}
	if !replay {
		return first, false, nil
	}
	var r R
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, false, fmt.Errorf("gifting: stored response: %w", err)
	}
	return &r, true, nil
}

// NewID returns prefix + 24 hex digits: 8 bytes of the clock then 4 random
// bytes, so ids sort by creation time and index inserts stay sequential.
func NewID(prefix string) string {
	var b [12]byte
	binary.BigEndian.PutUint64(b[:8], uint64(time.Now().UnixNano()))
	_, _ = rand.Read(b[8:])
	return prefix + hex.EncodeToString(b[:])
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9._@-]{1,128}$`)

// CheckID validates an id chosen by the platform (user, stream, combo).
func CheckID(field, id string) error {
	if !idPattern.MatchString(id) {
		return InvalidField(field, "%s must be 1–128 characters of A–Z, a–z, 0–9, '.', '_', '@' or '-'", field)
	}
	return nil
}

// CheckDisplayName refuses names that are empty, too long, not UTF-8, or
// that hold control, bidirectional-override or other invisible formatting
// characters (they let a name impersonate another on screen).
func CheckDisplayName(name string) error {
	if !utf8.ValidString(name) {
		return InvalidField("display_name", "display_name is not valid UTF-8")
	}
	n := utf8.RuneCountInString(name)
	if strings.TrimSpace(name) == "" || n > 64 {
		return InvalidField("display_name", "display_name must be 1–64 characters and not blank")
	}
	for _, r := range name {
		switch {
		case unicode.IsControl(r):
			return InvalidField("display_name", "display_name contains a control character (U+%04X)", r)
		case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069, r == 0x200E, r == 0x200F, r == 0x061C:
			return InvalidField("display_name", "display_name contains a bidirectional control character (U+%04X)", r)
		case r == utf8.RuneError:
			return InvalidField("display_name", "display_name contains U+FFFD: it was not valid text (a lone surrogate or a bad byte)")
		case unicode.Is(unicode.Cf, r):
			return InvalidField("display_name", "display_name contains an invisible formatting character (U+%04X)", r)
		}
	}
	return nil
}

// AsNotFound turns ledger.ErrNotFound into a NotFound error for what/id.
func AsNotFound(err error, what, id string) error {
	if errors.Is(err, ledger.ErrNotFound) {
		return NotFound(what, id)
	}
	return err
}

// PutUserInput creates or updates a user.
type PutUserInput struct {
	ID          string
	DisplayName string
	Country     string
	AgeVerified bool
}

// PutUser creates the user or updates its profile. Errors: KindInvalid.
func (s *Service) PutUser(ctx context.Context, idem Idem, in PutUserInput) (*User, bool, error) {
	if err := CheckID("user_id", in.ID); err != nil {
		return nil, false, err
	}
	if err := CheckDisplayName(in.DisplayName); err != nil {
		return nil, false, err
	}
	country := strings.ToUpper(in.Country)
	if country != "" && !money.IsCountry(country) {
		return nil, false, InvalidField("country", "country %q is not an ISO 3166-1 alpha-2 code glint knows", in.Country)
	}
	var out *User
	var replay bool
	err := s.write(ctx, func(tx Tx) error {
		u, rep, err := Once(ctx, tx, idem, func() (*User, error) {
			u, err := tx.User(ctx, in.ID)
			switch {
			case errors.Is(err, ledger.ErrNotFound):
				u = &User{ID: in.ID, Status: UserActive, CreatedAt: tx.Now()}
			case err != nil:
				return nil, err
			default:
				c := *u
				u = &c
			}
			u.DisplayName, u.Country, u.AgeVerified, u.UpdatedAt = in.DisplayName, country, in.AgeVerified, tx.Now()
			return u, tx.PutUser(ctx, u)
		})
		out, replay = u, rep
		return err
	})
	return out, replay, err
}

// GetUser returns a user. Errors: KindNotFound.
func (s *Service) GetUser(ctx context.Context, id string) (*User, error) {
	u, err := s.read.User(ctx, id)
	return u, AsNotFound(err, "user", id)
}

// Wallet is what a user holds and what it is worth.
type Wallet struct {
	UserID   string         `json:"user_id"`
	Coins    int64          `json:"coins"`
	Diamonds WalletDiamonds `json:"diamonds"`
	Value    WalletValue    `json:"value"`
}

// WalletDiamonds are a user's diamonds by state.
type WalletDiamonds struct {
	Pending     string `json:"pending" doc:"Received, still in the holding period"`
	Available   string `json:"available" doc:"Can be withdrawn"`
	Withdrawing string `json:"withdrawing" doc:"Held by a pending withdrawal"`
}

// WalletValue is the value of all the user's diamonds.
type WalletValue struct {
	Gross    economy.Amount  `json:"gross"`
	Net      economy.Amount  `json:"net"`
	NetLocal *economy.Amount `json:"net_local,omitempty"`
}

// Wallet returns a user's wallet. Errors: KindNotFound.
func (s *Service) Wallet(ctx context.Context, userID string) (*Wallet, error) {
	u, err := s.read.User(ctx, userID)
	if err != nil {
		return nil, AsNotFound(err, "user", userID)
	}
	ids := []ledger.AccountID{
		ledger.CoinsOf(userID),
		ledger.UserAccount(userID, ledger.PurposeDiamondsPending),
		ledger.UserAccount(userID, ledger.PurposeDiamondsAvailable),
		ledger.UserAccount(userID, ledger.PurposeDiamondsWithdrawing),
	}
	bal, err := s.read.Balances(ctx, ids)
	if err != nil {
		return nil, err
	}
	w := &Wallet{UserID: userID, Coins: bal[ids[0]], Diamonds: WalletDiamonds{
		Pending:     money.FormatAsset(bal[ids[1]], money.Diamond),
		Available:   money.FormatAsset(bal[ids[2]], money.Diamond),
		Withdrawing: money.FormatAsset(bal[ids[3]], money.Diamond),
	}}
	total, err := money.Sum(bal[ids[1]], bal[ids[2]], bal[ids[3]])
	if err != nil {
		return nil, err
	}
	fx := s.fx.Load()
	base := s.econ.Diamond.Currency
	local, hasLocal := money.CountryCurrency(u.Country)
	w.Value.Gross = economy.NewAmount(0, base)
	w.Value.Net = economy.NewAmount(0, base)
	if hasLocal && fx.Has(local) && local != base {
		z := economy.NewAmount(0, local)
		w.Value.NetLocal = &z
	}
	if total == 0 {
		return w, nil
	}
	cur := base
	if w.Value.NetLocal != nil {
		cur = local
	}
	q, err := economy.Calculate(s.econ, fx, economy.Input{Kind: economy.KindDiamonds, Amount: total}, cur)
	if err != nil {
		return nil, err
	}
	w.Value.Gross, w.Value.Net = q.Gross, q.Net
	if w.Value.NetLocal != nil && q.Local != nil {
		n := q.Local.Net
		w.Value.NetLocal = &n
	}
	return w, nil
}
