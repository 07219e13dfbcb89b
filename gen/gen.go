// Package gen generates the deterministic benchmark workload of DESIGN.md:
// N statements by max(20, N/200) speakers with a Zipf-like share of the
// talk, 200 topics in a tree, 1–3 topics per statement, N/5 shared
// sources, dates from 2000 to 2026 (80% day, 15% month, 5% year
// precision), 15–40 words of diplomatic vocabulary, and a position on 30%
// of them.
//
// The same N and seed always give the same records, byte for byte, so
// benchmarks at 10k, 100k and 1M statements are comparable across runs
// and machines.
package gen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"parley/domain"
)

// Config sizes a dataset.
type Config struct {
	N    int    // statements
	Seed uint64 // same seed, same data
	// Chronological emits statements in date order, as an archive walked
	// from its oldest report would; otherwise dates come in random order.
	// The dates' distribution is the same either way.
	Chronological bool
}

// NumTopics is fixed by the workload.
const NumTopics = 200

// Dataset yields the records of one generated dataset in order.
type Dataset struct {
	cfg      Config
	rng      *rand.Rand
	speakers []domain.SpeakerRef
	zipf     *rand.Zipf
	topics   []domain.TopicRef
	nSources int
	i        int
	defined  [NumTopics]bool // topics some earlier record listed
}

// New prepares a dataset; records come from Next.
func New(cfg Config) *Dataset {
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x9a7e1e7))
	d := &Dataset{cfg: cfg, rng: rng, nSources: max(1, cfg.N/5)}
	nSpeakers := max(20, cfg.N/200)
	for i := range nSpeakers {
		d.speakers = append(d.speakers, speaker(rng, i))
	}
	// s=1.1 gives the long tail of real reporting: a few voices say much,
	// most say little.
	d.zipf = rand.NewZipf(rng, 1.1, 1, uint64(nSpeakers-1))
	for i := range NumTopics {
		t := domain.TopicRef{Key: fmt.Sprintf("topic-%03d", i), Name: "Topic " + titleWords(i)}
		if i >= 20 {
			// 20 roots, each the parent of nine subtopics.
			t.Parent = fmt.Sprintf("topic-%03d", i%20)
		}
		d.topics = append(d.topics, t)
	}
	return d
}

// Speakers returns the dataset's speakers.
func (d *Dataset) Speakers() []domain.SpeakerRef { return d.speakers }

// Topics returns the dataset's topics; roots come first.
func (d *Dataset) Topics() []domain.TopicRef { return d.topics }

// Len is the number of records.
func (d *Dataset) Len() int { return d.cfg.N }

// Next returns the next record; ok is false after the last one.
func (d *Dataset) Next() (rec domain.StatementImport, ok bool) {
	if d.i >= d.cfg.N {
		return rec, false
	}
	i := d.i
	d.i++
	r := d.rng
	sp := d.speakers[d.zipf.Uint64()]
	rec = domain.StatementImport{
		ExternalID: fmt.Sprintf("gen-%08d", i),
		Text:       sentence(r, 15+r.IntN(26)),
		Kind:       domain.StatementParaphrase,
		Speaker:    sp,
		SaidOn:     d.date(r, i),
		Language:   "",
	}
	if r.IntN(3) == 0 {
		rec.Kind = domain.StatementQuote
	}
	nt := 1 + r.IntN(3)
	seen := map[int]bool{}
	for len(rec.Topics) < nt {
		ti := r.IntN(NumTopics)
		if ti >= 20 && !d.defined[ti%20] {
			// A subtopic names its parent by key, and the import format
			// defines a topic only by listing it on a statement: until
			// a statement has carried the root, use the root itself.
			ti %= 20
		}
		if seen[ti] {
			continue
		}
		seen[ti] = true
		d.defined[ti] = true
		rec.Topics = append(rec.Topics, d.topics[ti])
	}
	src := r.IntN(d.nSources)
	rec.Sources = []domain.SourceRef{{
		URL:       fmt.Sprintf("https://news.example.org/%d/article-%07d", 2000+src%27, src),
		Title:     "Report " + titleWords(src),
		Publisher: publishers[src%len(publishers)],
	}}
	if r.IntN(10) < 3 {
		rec.Positions = []domain.PositionRef{{
			Topic:   rec.Topics[r.IntN(len(rec.Topics))].Key,
			Stance:  stances[r.IntN(len(stances))],
			Summary: sentence(r, 8),
		}}
	}
	return rec, true
}

var stances = []domain.Stance{domain.StanceSupports, domain.StanceOpposes, domain.StanceNeutral, domain.StanceMixed}

var publishers = []string{"Agence Diplomatique", "World Wire", "The Chancery Times", "Capital Bulletin", "Global Ledger"}

var countries = []string{"RU", "UA", "US", "FR", "GB", "DE", "PL", "CN", "TR", "IN", "BR", "JP", "IT", "ES", "EU"}

func speaker(r *rand.Rand, i int) domain.SpeakerRef {
	first := givenNames[r.IntN(len(givenNames))]
	last := familyNames[r.IntN(len(familyNames))]
	sp := domain.SpeakerRef{
		Key:     fmt.Sprintf("speaker-%05d", i),
		Name:    fmt.Sprintf("%s %s %d", first, last, i),
		Kind:    domain.SpeakerPerson,
		Country: countries[r.IntN(len(countries))],
	}
	switch i % 10 {
	case 0:
		sp.Kind = domain.SpeakerOrganization
		sp.Name = fmt.Sprintf("Ministry of Foreign Affairs %d", i)
	case 5:
		sp.Kind = domain.SpeakerCountry
		sp.Name = fmt.Sprintf("Republic %d", i)
	}
	return sp
}

// date draws the i-th saidOn between 2000 and 2026: 80% day, 15% month,
// 5% year precision; in chronological mode the i-th of N statements falls
// on day i*days/N.
func (d *Dataset) date(r *rand.Rand, i int) string {
	start := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	days := int(time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC).Sub(start).Hours() / 24)
	day := r.IntN(days + 1)
	if d.cfg.Chronological {
		day = int(int64(i) * int64(days+1) / int64(d.cfg.N))
	}
	t := start.AddDate(0, 0, day)
	switch p := r.IntN(100); {
	case p < 80:
		return t.Format("2006-01-02")
	case p < 95:
		return t.Format("2006-01")
	}
	return t.Format("2006")
}

// sentence draws n words with a Zipf-like frequency: common words are
// common, so two-word searches range from broad to narrow.
func sentence(r *rand.Rand, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		// Inverse-power sampling over the vocabulary.
		idx := int(math.Pow(r.Float64(), 2.2) * float64(len(vocabulary)))
		b.WriteString(vocabulary[idx])
	}
	b.WriteByte('.')
	return b.String()
}

func titleWords(i int) string {
	return strings.ToUpper(vocabulary[i%len(vocabulary)][:1]) + vocabulary[i%len(vocabulary)][1:] + " " + vocabulary[(i*7+3)%len(vocabulary)]
}

var givenNames = []string{"Anna", "Boris", "Claire", "Dmitri", "Elena", "Farid", "Greta", "Hiro", "Ines", "Jonas", "Kaja", "Liam", "Maria", "Nikolai", "Olga", "Pierre", "Quentin", "Rustem", "Sofia", "Taras", "Ursula", "Viktor", "Wang", "Xenia", "Yusuf", "Zoran"}

var familyNames = []string{"Adler", "Bondarenko", "Castillo", "Dubois", "Eriksen", "Fischer", "Gallo", "Horvath", "Ivanova", "Jansen", "Kowalski", "Lindqvist", "Moreau", "Novak", "Orlov", "Petrenko", "Quinn", "Rossi", "Schmidt", "Tanaka", "Ueda", "Volkov", "Weber", "Yilmaz", "Zhukov"}

// vocabulary is ordered roughly by how often diplomatic reporting uses a
// word; sentence draws the front more often.
var vocabulary = strings.Fields(`
the of and to in on for with that is talks peace security war agreement
said minister president ukraine russia government foreign negotiations
ceasefire sanctions support talks meeting leaders officials forces border
plan proposal draft summit envoy alliance treaty sovereignty territory
guarantees membership nato union european council assembly resolution
military aid assistance humanitarian trade energy gas oil grain exports
imports tariffs economy reconstruction investment funds assets frozen
frontline offensive defense troops withdrawal occupation annexation
referendum elections democracy rights law court tribunal justice crimes
accountability dialogue diplomacy mediation mediator talks channel contacts
delegation delegations ambassador embassy consulate spokesman spokeswoman
statement briefing communique declaration memorandum framework roadmap
conditions demands concessions compromise settlement solution process
stability region regional global international partners allies neighbors
cooperation partnership strategic interests priorities position stance
commitment pledge promise warning threat escalation deescalation tension
crisis conflict violence attack strike missile drone shelling casualties
civilians refugees displaced prisoners exchange release hostages detainees
negotiator negotiators parliament senate congress cabinet ministry office
kremlin washington kyiv moscow brussels paris london berlin warsaw ankara
beijing geneva istanbul vienna helsinki minsk tbilisi chisinau riga vilnius
constructive productive difficult tough frank open serious substantive
positive negative optimistic cautious firm strong clear decisive urgent
historic unprecedented legitimate unacceptable fair just lasting durable
comprehensive final interim temporary permanent immediate unconditional
nuclear plant reactor inspectors agency monitoring verification observers
pipeline corridor port shipping sea black baltic arctic airspace bridge
crimea donbas donetsk luhansk zaporizhzhia kherson kharkiv pokrovsk
vovchansk bakhmut avdiivka odesa mariupol sumy dnipro lviv
`)
