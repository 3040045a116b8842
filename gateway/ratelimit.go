package gateway

import (
	"math"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/time/rate"

	"github.com/heraldhq/herald/internal/problem"
)

// keyLimiter keeps one token bucket per API key. Buckets idle for a while are
// dropped, so memory stays bounded by the keys in use. Each gateway limits on
// its own: with N gateways a key may make N times the rate.
type keyLimiter struct {
	mu      sync.Mutex
	perSec  rate.Limit
	burst   int
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

const bucketIdle = 10 * time.Minute

func newKeyLimiter(perSec float64, burst int) *keyLimiter {
	return &keyLimiter{perSec: rate.Limit(perSec), burst: burst, buckets: map[string]*bucket{}}
}

// allow takes a token for key, or says how long until one is free.
func (l *keyLimiter) allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > bucketIdle {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > bucketIdle {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(l.perSec, l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// checkRate is a 429 with Retry-After when a key goes over its rate.
func (s *Server) checkRate(keyID string) error {
	if s.limiter == nil {
		return nil
	}
	if ok, wait := s.limiter.allow(keyID, time.Now()); !ok {
		p := problem.New(fiber.StatusTooManyRequests, "this API key is over its rate of %g requests per second; retry after the delay in Retry-After", float64(s.limiter.perSec))
		p.RetryAfter = max(1, int(math.Ceil(wait.Seconds())))
		return p
	}
	return nil
}

// guessLimiter counts, per client address, requests that presented a key
// that does not exist. Past its burst such a client gets 429 before any
// lookup, so garbage keys cannot make every request cost a Postgres query,
// while clients whose keys are valid never touch it.
type guessLimiter struct{ l *keyLimiter }

// Thirty unknown keys at once (a client whose key was just revoked may try
// every route), then one a second.
const (
	guessRate  = 1
	guessBurst = 30
)

func newGuessLimiter() *guessLimiter { return &guessLimiter{newKeyLimiter(guessRate, guessBurst)} }

// check is a 429 when ip has used up its unknown-key allowance.
func (g *guessLimiter) check(ip string, now time.Time) error {
	if wait := g.l.waitFor(ip, now); wait > 0 {
		p := problem.New(fiber.StatusTooManyRequests, "too many requests with keys that do not exist from this address; retry after the delay in Retry-After")
		p.RetryAfter = max(1, int(math.Ceil(wait.Seconds())))
		return p
	}
	return nil
}

// fail charges ip for one unknown key.
func (g *guessLimiter) fail(ip string, now time.Time) { g.l.allow(ip, now) }

// waitFor is how long until key's bucket holds a whole token (0: now),
// without taking one.
func (l *keyLimiter) waitFor(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		return 0
	}
	if t := b.lim.TokensAt(now); t < 1 {
		return time.Duration((1 - t) / float64(l.perSec) * float64(time.Second))
	}
	return 0
}

// guard is the console's view of the gateway's defences against guessed
// keys and of its per-key rate (console.Guard).
type guard struct{ s *Server }

func (g guard) Check(ip string, now time.Time) error { return g.s.guesses.check(ip, now) }
func (g guard) Fail(ip string, now time.Time)        { g.s.guesses.fail(ip, now) }
func (g guard) Rate(keyID string) error              { return g.s.checkRate(keyID) }
