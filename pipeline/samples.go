package pipeline

import (
	"io/fs"

	"github.com/marginmix/marginmix/fixtures"
)

func samplesFS() fs.FS { return fixtures.Samples() }
