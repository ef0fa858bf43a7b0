package archtest

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestDockerImage: the image builds from base images pinned by digest,
// stamps the version into the variable the Makefile stamps, and its build
// context leaves out what a checkout accumulates (outputs, binaries, .git).
func TestDockerImage(t *testing.T) {
	root := filepath.Join("..", "..")
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	docker := read("Dockerfile")
	args := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^ARG (\w+)=(\S+)$`).FindAllStringSubmatch(docker, -1) {
		args[m[1]] = m[2]
	}
	froms := regexp.MustCompile(`(?m)^FROM (\S+)`).FindAllStringSubmatch(docker, -1)
	if len(froms) != 2 {
		t.Fatalf("%d FROM lines, want the build and the runtime stage", len(froms))
	}
	pinned := regexp.MustCompile(`^[a-z0-9./-]+:[\w.-]+@sha256:[0-9a-f]{64}$`)
	for _, f := range froms {
		image := f[1]
		if strings.HasPrefix(image, "${") {
			image = args[strings.Trim(image, "${}")]
		}
		if !pinned.MatchString(image) {
			t.Errorf("FROM %s (%s) is not pinned by digest (name:tag@sha256:...)", f[1], image)
		}
	}
	const stamp = "-X github.com/marginmix/marginmix/pipeline.version="
	if !strings.Contains(docker, stamp) || !strings.Contains(read("Makefile"), stamp) {
		t.Errorf("the Dockerfile and the Makefile must both stamp the version with %s", stamp)
	}
	ignore := strings.Fields(read(".dockerignore"))
	for _, want := range []string{".git", "out/", ".out.lock", "marginmix", "*.test", "bench/data/"} {
		if !slices.Contains(ignore, want) {
			t.Errorf(".dockerignore lacks %s", want)
		}
	}
}
