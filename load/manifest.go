package load

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"time"
)

// Input statuses in the manifest.
const (
	StatusOK          = "ok"
	StatusUnchanged   = "unchanged"
	StatusQuarantined = "quarantined"
)

// Manifest is out/_manifest.json: what a publication was made from and what
// it holds.
type Manifest struct {
	RunID   string `json:"run_id"`
	Seq     int    `json:"seq"`     // the run's number in the state catalog
	Command string `json:"command"` // run or backfill
	Version string `json:"marginmix_version"`
	// Fingerprints of what shapes the outputs besides the workbooks: the
	// specs and marginmix's version (extraction), the SQL and parameters
	// (analyses). A change re-reads or re-runs what it affects.
	ExtractFingerprint  string    `json:"extract_fingerprint"`
	AnalysisFingerprint string    `json:"analysis_fingerprint"`
	StartedAt           time.Time `json:"started_at"`
	FinishedAt          time.Time `json:"finished_at"`
	Inputs              []Input   `json:"inputs"`
	Outputs             []Output  `json:"outputs"`
}

// Input is one workbook of the run.
type Input struct {
	Path    string `json:"path"` // relative to the inbox
	SHA256  string `json:"sha256"`
	Bytes   int64  `json:"bytes"`
	Status  string `json:"status"`
	Reason  string `json:"reason,omitempty"`
	Company string `json:"company,omitempty"`
	Facts   int    `json:"facts"`
	// Findings are the reader's notes on what it skipped or decided (a row
	// not mapped, a table not read, the cover overruled), each with its
	// place. An unchanged workbook keeps those of the run that read it.
	Findings []Finding `json:"findings,omitempty"`
}

// Finding is one of the reader's notes on a workbook.
type Finding struct {
	Sheet   string   `json:"sheet"`
	Cell    string   `json:"cell,omitempty"`
	Message string   `json:"message"`
	Cells   []string `json:"cells,omitempty"` // every cell it is about, when several
}

// Output is one published file.
type Output struct {
	Path   string `json:"path"` // relative to the output folder
	Rows   int64  `json:"rows"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// ManifestName is the manifest's file name in the output folder.
const ManifestName = "_manifest.json"

// WriteManifest writes m as indented JSON to path and syncs it.
func WriteManifest(path string, m *Manifest) error {
	if m.Inputs == nil {
		m.Inputs = []Input{} // always a list, never null
	}
	if m.Outputs == nil {
		m.Outputs = []Output{}
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return writeFileSync(path, append(b, '\n'))
}

// ReadManifest reads a manifest.
func ReadManifest(path string) (*Manifest, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

func writeFileSync(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// FileSHA256 returns the hex SHA-256 and size of a file.
func FileSHA256(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
