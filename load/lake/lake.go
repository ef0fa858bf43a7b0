// Package lake publishes a marginmix output folder to object storage as
// Apache Iceberg tables, one table per dataset, and brings a publication
// back from there into a local folder (docs/operations.md, "Object storage").
//
// The local pipeline stays the engine: a run pulls the last published run
// into a local cache folder, runs there exactly as on a local output folder,
// and pushes what changed. A push uploads every data file first (content
// addressed, so an unchanged file is never sent twice), then commits one
// snapshot per changed table, then names the run in the namespace's
// properties. A reader (and the next pull) follows the namespace's run, so a
// run killed between two table commits is invisible to the next run.
//
// The package knows nothing of DuckDB or excelize: it moves Parquet files and
// Iceberg metadata, with iceberg-go and its S3 file IO.
package lake

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/catalog/rest"
	sqlcat "github.com/apache/iceberg-go/catalog/sql"
	icebergio "github.com/apache/iceberg-go/io"
	_ "github.com/apache/iceberg-go/io/gocloud/s3" // the s3:// file IO
	"github.com/apache/iceberg-go/table"
	"github.com/apache/iceberg-go/utils"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	_ "github.com/jackc/pgx/v5/stdlib" // the SQL catalog's Postgres driver, pure Go
	_ "modernc.org/sqlite"             // the SQL catalog's SQLite driver, pure Go
)

// Namespace is the Iceberg namespace marginmix publishes into unless told.
const Namespace = "marginmix"

// Namespace properties and snapshot summary keys marginmix writes.
const (
	PropRunID    = "marginmix.run-id"
	PropRunsPath = "marginmix.runs-location"
)

// Options say where a publication lives.
type Options struct {
	Warehouse string // s3://bucket/prefix: tables are Warehouse/<dataset>
	Catalog   string // sqlite:///path/catalog.db or http(s)://host/ (REST)
	Endpoint  string // S3-compatible endpoint; default AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL
	Namespace string // default Namespace
	// RequestTimeout bounds one request to the store (default 2 minutes);
	// the SDK retries a failed or timed-out request up to 5 times, waiting
	// at most MaxBackoff (default 20 seconds) between tries.
	RequestTimeout time.Duration
	MaxBackoff     time.Duration
}

// ConfigError is a location or catalog that cannot work as given: the
// command line's mistake, not the store's.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

func configErr(format string, args ...any) error {
	return &ConfigError{fmt.Errorf(format, args...)}
}

// Lake is an open catalog and warehouse.
type Lake struct {
	opts  Options
	cat   catalog.Catalog
	ns    table.Identifier
	aws   *aws.Config
	props iceberg.Properties
	fs    icebergio.IO
	close func() error
}

// IsRemote reports whether an --out or --inbox value names object storage.
func IsRemote(loc string) bool {
	return strings.HasPrefix(loc, "s3://") || strings.HasPrefix(loc, "s3a://")
}

// Open connects to the catalog and the warehouse. It creates the SQL
// catalog's tables and the namespace when they are missing.
func Open(ctx context.Context, opts Options) (*Lake, error) {
	if err := checkWarehouse(opts.Warehouse); err != nil {
		return nil, err
	}
	if opts.Namespace == "" {
		opts.Namespace = Namespace
	}
	l := &Lake{opts: opts, ns: table.Identifier{opts.Namespace}, close: func() error { return nil }}
	var err error
	if l.aws, err = awsConfig(ctx, opts); err != nil {
		return nil, fmt.Errorf("object storage credentials: %w", err)
	}
	l.props = storeProps(opts)
	if err := l.openCatalog(l.ctx(ctx)); err != nil {
		return nil, err
	}
	if l.fs, err = icebergio.LoadFS(l.ctx(ctx), l.props, opts.Warehouse); err != nil {
		l.Close()
		return nil, fmt.Errorf("open %s: %w", opts.Warehouse, err)
	}
	if err := l.ensureNamespace(l.ctx(ctx)); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// Close releases the catalog.
func (l *Lake) Close() error { return l.close() }

// ctx carries the lake's AWS configuration to iceberg-go's file IO.
func (l *Lake) ctx(ctx context.Context) context.Context {
	return utils.WithAwsConfig(ctx, l.aws)
}

func checkWarehouse(w string) error {
	u, err := url.Parse(w)
	if err != nil || !IsRemote(w) || u.Host == "" {
		return configErr("object storage location %q: want s3://bucket/prefix", w)
	}
	if u.User != nil {
		return configErr("object storage location: credentials do not belong in the URL; use the AWS credential chain (environment, shared config, instance role)")
	}
	return nil
}

// awsConfig is the standard AWS credential chain (environment, shared
// config and credentials files, web identity, container and instance
// roles) with bounded, retried requests.
func awsConfig(ctx context.Context, opts Options) (*aws.Config, error) {
	timeout := opts.RequestTimeout
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	client := awshttp.NewBuildableClient().WithTimeout(timeout)
	backoff := opts.MaxBackoff
	if backoff <= 0 {
		backoff = 20 * time.Second
	}
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithHTTPClient(client),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 5
				o.MaxBackoff = backoff
			})
		}))
	if err != nil {
		return nil, err
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1" // S3-compatible stores ignore it; AWS needs one
	}
	return &cfg, nil
}

// storeProps are iceberg-go's S3 properties: only the endpoint, never a
// credential, so that nothing secret is written to table metadata.
func storeProps(opts Options) iceberg.Properties {
	p := iceberg.Properties{"warehouse": opts.Warehouse}
	ep := opts.Endpoint
	if ep == "" {
		ep = firstEnv("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")
	}
	if ep != "" {
		p[icebergio.S3EndpointURL] = ep
	}
	return p
}

func firstEnv(names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return ""
}

func (l *Lake) openCatalog(ctx context.Context) error {
	c := l.opts.Catalog
	switch {
	case strings.HasPrefix(c, "sqlite://"):
		return l.openSQLite(ctx, strings.TrimPrefix(c, "sqlite://"))
	case strings.HasPrefix(c, "postgres://"), strings.HasPrefix(c, "postgresql://"):
		return l.openPostgres(ctx, c)
	case strings.HasPrefix(c, "http://"), strings.HasPrefix(c, "https://"):
		cat, err := rest.NewCatalog(ctx, "marginmix", c,
			rest.WithWarehouseLocation(l.opts.Warehouse), rest.WithAwsConfig(*l.aws))
		if err != nil {
			return fmt.Errorf("REST catalog %s: %w", Redact(c), err)
		}
		l.cat = cat
		return nil
	case c == "":
		return configErr("object storage needs --catalog (sqlite:///path/catalog.db, postgres://user@host/db or a REST catalog URL): the catalog's snapshots are what make a publication atomic there")
	default:
		return configErr("catalog %q: want sqlite:///path/catalog.db, postgres://user@host/db or http(s)://host/ (a REST catalog); marginmix links no other catalog driver", Redact(c))
	}
}

// openPostgres opens an Iceberg SQL catalog in a Postgres database. The
// password comes from PGPASSWORD or ~/.pgpass, as for psql, never from the
// URL, which would carry it into logs and process listings.
func (l *Lake) openPostgres(ctx context.Context, uri string) error {
	u, err := url.Parse(uri)
	if err != nil {
		return configErr("catalog %q: %v", Redact(uri), errors.Unwrap(err))
	}
	if _, has := u.User.Password(); has {
		return configErr("catalog %s: put the password in PGPASSWORD or ~/.pgpass, not in the URL, which would carry it into logs and process listings", Redact(uri))
	}
	return l.openSQL(ctx, "pgx", uri, sqlcat.Postgres, Redact(uri))
}

func (l *Lake) openSQLite(ctx context.Context, path string) error {
	if path == "" {
		return configErr("catalog sqlite://: no file named (sqlite:///path/catalog.db)")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("catalog %s: %w", path, err)
	}
	return l.openSQL(ctx, "sqlite", path+"?_pragma=busy_timeout(30000)&_pragma=journal_mode(WAL)", sqlcat.SQLite, path)
}

// openSQL opens iceberg-go's SQL catalog over a database/sql driver and
// makes its tables; label names the catalog in errors (without a password).
func (l *Lake) openSQL(ctx context.Context, driver, dsn string, dialect sqlcat.SupportedDialect, label string) error {
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return fmt.Errorf("catalog %s: %w", label, err)
	}
	cat, err := sqlcat.NewCatalog("marginmix", db, dialect, l.props)
	if err == nil {
		err = cat.CreateSQLTables(ctx)
	}
	if err != nil {
		db.Close()
		return fmt.Errorf("catalog %s: %w", label, err)
	}
	l.cat, l.close = cat, db.Close
	return nil
}

func (l *Lake) ensureNamespace(ctx context.Context) error {
	ok, err := l.cat.CheckNamespaceExists(ctx, l.ns)
	if err != nil {
		return fmt.Errorf("catalog: namespace %s: %w", l.opts.Namespace, err)
	}
	if ok {
		return nil
	}
	if err := l.cat.CreateNamespace(ctx, l.ns, nil); err != nil && !errors.Is(err, catalog.ErrNamespaceAlreadyExists) {
		return fmt.Errorf("catalog: create namespace %s: %w", l.opts.Namespace, err)
	}
	return nil
}

// Redact drops a URL's user information (a password in a catalog URL, say)
// so that it never reaches a log or an error message.
func Redact(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	u.User = url.User("REDACTED")
	return u.String()
}

// location joins the warehouse and a key.
func (l *Lake) location(parts ...string) string {
	return strings.TrimRight(l.opts.Warehouse, "/") + "/" + strings.Join(parts, "/")
}
