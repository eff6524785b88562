package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/go-archive"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// checkDockerfile checks that the Dockerfile exists, with the real provider's messages; the path is
// relative to the working directory (the project folder), not to the context.
func checkDockerfile(contextDir, dockerfile string) (string, error) {
	if _, statErr := os.Stat(dockerfile); statErr != nil {
		if filepath.IsAbs(dockerfile) {
			return "", fmt.Errorf("expected a relative Dockerfile path; got %q instead: %v", dockerfile, statErr)
		}
		relPath := filepath.Join(contextDir, dockerfile)
		if _, err := os.Stat(relPath); err != nil {
			return "", fmt.Errorf("could not open dockerfile at relative path %q: %v", dockerfile, statErr)
		}
		return "", fmt.Errorf("could not open dockerfile at relative path %q. Try setting `dockerfile` to %q", dockerfile, relPath)
	}
	return dockerfile, nil
}

// ignorePatterns reads <Dockerfile>.dockerignore, else <context>/.dockerignore, as Docker does.
func ignorePatterns(contextDir, dockerfile string) ([]string, error) {
	for _, path := range []string{dockerfile + ".dockerignore", filepath.Join(contextDir, ".dockerignore")} {
		f, err := os.Open(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return nil, fmt.Errorf("reading %q: %w", path, err)
		}
		defer f.Close()
		patterns, err := ignorefile.ReadAll(f)
		if err != nil {
			return nil, fmt.Errorf("unable to parse %q: %w", path, err)
		}
		return patterns, nil
	}
	return nil, nil
}

// relativeDockerfile is the Dockerfile's path inside the context (refused when outside it).
func relativeDockerfile(contextDir, dockerfile string) (string, error) {
	absContext, err := filepath.Abs(contextDir)
	if err != nil {
		return "", err
	}
	absDockerfile, err := filepath.Abs(dockerfile)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(absContext, absDockerfile)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return "", fmt.Errorf("dockerfile %q is outside the build context %q: not supported by promemu's stand-in docker provider", dockerfile, contextDir)
	}
	return filepath.ToSlash(rel), nil
}

// contextTar is the build context as the Docker CLI sends it: a tar of the context folder without
// what .dockerignore excludes, except the Dockerfile and .dockerignore themselves, owned by root.
func contextTar(contextDir, dockerfile string) (io.ReadCloser, string, error) {
	patterns, err := ignorePatterns(contextDir, dockerfile)
	if err != nil {
		return nil, "", err
	}
	rel, err := relativeDockerfile(contextDir, dockerfile)
	if err != nil {
		return nil, "", err
	}
	// The docker CLI's TrimBuildFilesFromExcludes: the daemon needs these two even when ignored.
	if excluded, _ := patternmatcher.Matches(".dockerignore", patterns); excluded {
		patterns = append(patterns, "!.dockerignore")
	}
	if excluded, _ := patternmatcher.Matches(rel, patterns); excluded {
		patterns = append(patterns, "!"+rel)
	}
	tar, err := archive.TarWithOptions(contextDir, &archive.TarOptions{
		ExcludePatterns: patterns,
		ChownOpts:       &archive.ChownOpts{UID: 0, GID: 0},
	})
	if err != nil {
		return nil, "", fmt.Errorf("error creating the build context: %w", err)
	}
	return tar, rel, nil
}

// hashContext is the digest of the Dockerfile's content and of every file of the context that
// .dockerignore does not exclude (path, mode and content, or a link's target): the real provider's
// contextDigest, computed the same way though not byte for byte with the same algorithm.
func hashContext(contextDir, dockerfile string) (string, error) {
	patterns, err := ignorePatterns(contextDir, dockerfile)
	if err != nil {
		return "", err
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return "", fmt.Errorf("invalid .dockerignore pattern: %w", err)
	}
	h := sha256.New()
	content, err := os.ReadFile(dockerfile)
	if err != nil {
		return "", fmt.Errorf("error hashing dockerfile %q: %w", dockerfile, err)
	}
	fmt.Fprintf(h, "Dockerfile\x00%x\x00", sha256.Sum256(content))
	parentInfo := map[string]patternmatcher.MatchInfo{}
	err = filepath.WalkDir(contextDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(contextDir, path)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		excluded, info, err := pm.MatchesUsingParentResults(rel, parentInfo[filepath.ToSlash(filepath.Dir(rel))])
		if err != nil {
			return err
		}
		if d.IsDir() {
			if excluded && !pm.Exclusions() {
				return filepath.SkipDir
			}
			parentInfo[rel] = info
			return nil
		}
		if excluded {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%o\x00", rel, fi.Mode())
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "%s\x00", target)
		case fi.Mode().IsRegular():
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			defer f.Close()
			if _, err := io.Copy(h, f); err != nil {
				return err
			}
			h.Write([]byte{0})
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("unable to hash build context: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
