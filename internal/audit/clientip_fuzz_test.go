package audit

import (
	"context"
	"net/netip"
	"strconv"
	"strings"
	"testing"
)

// nopStore keeps nothing: ClientIP does not write.
type nopStore struct{}

func (nopStore) AppendAudit(context.Context, []Entry) error     { return nil }
func (nopStore) Audit(context.Context, Filter) ([]Entry, error) { return nil, nil }

// FuzzClientIP checks the client address the audit log records, for any
// trusted proxies, peer and X-Forwarded-For lines: an unparsable peer is
// kept as given; an untrusted peer is the client, whatever the header says;
// otherwise the client is the peer or a hop of the header such that every
// hop to its right is a trusted proxy (nobody outside them can choose it),
// and the walk went as far left as it could (the client is untrusted, the
// leftmost hop, or the hop to its left is malformed). Every address listed
// as a proxy, with or without a prefix length, is trusted (but one with an
// IPv6 zone: see below).
func FuzzClientIP(f *testing.F) {
	for _, c := range [][3]string{
		{"10.0.0.0/8, 192.0.2.1, 2001:db8::/32", "10.1.1.1:80", "6.6.6.6, 198.51.100.1, 10.2.2.2"},
		{"10.0.0.0/8", "10.1.1.1:80", "10.3.3.3, 10.2.2.2"},
		{"10.0.0.0/8", "10.1.1.1:80", "198.51.100.1, garbage, 10.2.2.2"},
		{"10.0.0.0/8", "203.0.113.9:4711", "198.51.100.1"},
		{"2001:db8::/32", "[2001:db8::5]:443", "[2001:db9::1]:1"},
		{"10.0.0.0/8", "[::ffff:10.1.1.1]:80", "::ffff:198.51.100.1"},
		{"::ffff:10.0.0.0/104", "10.1.1.1:80", "198.51.100.1"},
		{"0.0.0.0/0, ::/0", "1.2.3.4:5", "1.1.1.1,\n2.2.2.2, , ,3.3.3.3"},
		{"", "pipe", "1.1.1.1"},
		{"10.0.0.1", "10.0.0.1", "[1.2.3.4]:80, 1.2.3.4%eth0, fe80::1%eth0"},
		{"10.0.0.0/33", "10.0.0.1:1", ""},
		{"10.0.0.0/8", "10.0.0.1:1", "\u202e1.1.1.1, 1.1.1.1\x00"},
	} {
		f.Add(c[0], c[1], c[2])
	}
	f.Fuzz(func(t *testing.T, proxyList, remote, xff string) {
		entries := strings.Split(proxyList, ",")
		proxies, err := ParseTrustedProxies(entries)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "audit: trusted proxy ") {
				t.Fatalf("ParseTrustedProxies(%q): %v", entries, err)
			}
			return
		}
		r := NewRecorder(Config{Store: nopStore{}, TrustedProxies: proxies})
		for _, p := range proxies {
			if !p.IsValid() || p != p.Masked() {
				t.Fatalf("ParseTrustedProxies(%q): prefix %v", entries, p)
			}
		}
		for _, e := range entries {
			addr, bits, hasBits := strings.Cut(strings.TrimSpace(e), "/")
			a, err := netip.ParseAddr(addr)
			n, _ := strconv.Atoi(bits)
			if err != nil || a.Zone() != "" || (hasBits && a.Is4In6() && n < 96) {
				// A zone is dropped (netip.PrefixFrom) and a zoned peer
				// matches no prefix; a 4in6 prefix shorter than the mapped
				// block reaches beyond IPv4.
				continue
			}
			if !r.trusted(a.Unmap()) {
				t.Fatalf("ParseTrustedProxies(%q): %s is listed, yet not trusted (%v)", entries, a, proxies)
			}
		}

		lines := strings.Split(xff, "\n")
		got := r.ClientIP(remote, lines)
		peer, ok := parseHost(remote)
		if !ok {
			if got != remote {
				t.Fatalf("unparsable peer %q: client %q", remote, got)
			}
			return
		}
		if _, err := netip.ParseAddr(got); err != nil {
			t.Fatalf("ClientIP(%q, %q) = %q: not an address", remote, lines, got)
		}
		if !r.trusted(peer) {
			if got != peer.String() {
				t.Fatalf("untrusted peer %q: client %q from the header %q", remote, got, lines)
			}
			return
		}
		// The peer is hop len(hops); the header's hops come before it.
		var hops []string
		for _, l := range lines {
			for _, h := range strings.Split(l, ",") {
				if h = strings.TrimSpace(h); h != "" {
					hops = append(hops, h)
				}
			}
		}
		hops = append(hops, remote)
		// k: the leftmost hop that is the client and has only trusted,
		// well-formed hops to its right.
		k := -1
		for i := len(hops) - 1; i >= 0; i-- {
			a, ok := parseHost(hops[i])
			if !ok {
				break
			}
			if a.String() == got {
				k = i
			}
			if !r.trusted(a) {
				break
			}
		}
		if k < 0 {
			t.Fatalf("ClientIP(%q, %q) = %q: not the peer, nor a hop behind trusted proxies only", remote, lines, got)
		}
		if a, _ := parseHost(hops[k]); k > 0 && r.trusted(a) {
			if _, ok := parseHost(hops[k-1]); ok {
				t.Fatalf("ClientIP(%q, %q) = %q, a trusted proxy, but the hop to its left (%q) is well formed", remote, lines, got, hops[k-1])
			}
		}
	})
}
