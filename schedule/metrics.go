package schedule

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are a scheduler's Prometheus metrics, in a registry of its own.
type metrics struct {
	reg           *prometheus.Registry
	runs          *prometheus.CounterVec
	duration      prometheus.Histogram
	workbooks     prometheus.Counter
	quarantined   prometheus.Counter
	facts         prometheus.Counter
	lastSuccess   prometheus.Gauge
	lastPublished prometheus.Gauge
	inProgress    prometheus.Gauge
}

func newMetrics(s *Scheduler) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "marginmix_runs_total",
			Help: "Scheduled runs by outcome: published, nothing_new, quarantined (published with quarantines), failed, skipped_locked (another writer held the output folder), skipped_running (the previous run was still going), canceled (at shutdown).",
		}, []string{"outcome"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "marginmix_run_duration_seconds",
			Help:    "Duration of the runs that ran (every outcome but the skips).",
			Buckets: []float64{0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200},
		}),
		workbooks: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "marginmix_workbooks_processed_total",
			Help: "Workbooks read (new or changed) by scheduled runs.",
		}),
		quarantined: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "marginmix_workbooks_quarantined_total",
			Help: "Workbooks quarantined, counted once per run whose publication lists them.",
		}),
		facts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "marginmix_facts_published_total",
			Help: "Facts (latest vintages) in the publications made by scheduled runs.",
		}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "marginmix_last_success_timestamp_seconds",
			Help: "Unix time the last scheduled run ended without failure (published, nothing new, or published with quarantines); 0 before the first.",
		}),
		lastPublished: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "marginmix_last_publication_timestamp_seconds",
			Help: "Unix time the output folder was last published (finished_at of _manifest.json), by any writer; 0 if never.",
		}),
		inProgress: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "marginmix_run_in_progress",
			Help: "1 while a scheduled run is going, else 0.",
		}),
	}
	next := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "marginmix_next_run_timestamp_seconds",
		Help: "Unix time of the next scheduled run.",
	}, func() float64 {
		if t := s.cfg.Schedule.Next(s.now()); !t.IsZero() {
			return unixSeconds(t)
		}
		return 0 // the expression never matches again
	})
	for _, o := range Outcomes {
		m.runs.WithLabelValues(string(o)) // every outcome shows, at 0, before it first happens
	}
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "marginmix_build_info",
		Help: "Always 1; the version label is the build of marginmix serving the metrics.",
	}, []string{"version"})
	build.WithLabelValues(s.cfg.Version).Set(1)
	m.reg.MustRegister(m.runs, m.duration, m.workbooks, m.quarantined, m.facts,
		m.lastSuccess, m.lastPublished, m.inProgress, next, build,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}
