# The book's two commands: `make test` and `make book`. Both create .venv on first use
# and install the exact pins of requirements.txt plus the package (editable).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# the notebook pages in reading order, read from book/_toc.yml, the one list of the book's pages (also read by
# vaelab.chapters.registry.pages(), hence by the tests and the benchmarks)
CHAPTERS := $(shell for c in $$(sed -n 's|^ *- file: book/\([a-z0-9_]*\) *\(#.*\)\{0,1\}$$|\1|p' book/_toc.yml); do \
              [ -f book/$$c.ipynb ] && echo $$c; done)
ifeq ($(strip $(CHAPTERS)),)
$(error no notebook page found in book/_toc.yml)
endif
# chapters whose book weights are not committed yet live in pending/ (none now): `make gpu` trains them,
# writing the executed page into book/ (then add them to book/_toc.yml and commit the weights); nbval and
# `make book` see only book/
PENDING :=

.PHONY: test lint check-weights checks unit nbval book page run html browser chromium gpu cross-cpu clean

# The same bits on every x86-64 CPU with AVX2 (vaelab/cpu.py holds the same values and says why): the pages
# are published from one machine and re-executed by CI on another. The pages call vaelab.cpu.pin() for torch's
# (importing vaelab changes nothing); NumPy and OpenBLAS read theirs when they load, before that, so every
# command here exports them. A value already in
# the environment wins; VAELAB_NATIVE_CPU=1 turns the pins off.
NATIVE := $(filter-out 0,$(VAELAB_NATIVE_CPU))
AVX2   := $(shell grep -qsw avx2 /proc/cpuinfo && echo yes)
ifeq ($(AVX2):$(NATIVE),yes:)
export ATEN_CPU_CAPABILITY ?= avx2
export ONEDNN_MAX_CPU_ISA ?= AVX2
export MKL_CBWR ?= COMPATIBLE
export OPENBLAS_CORETYPE ?= Haswell
export NPY_DISABLE_CPU_FEATURES ?= X86_V4 AVX512_ICL AVX512_SPR
export OPENBLAS_NUM_THREADS ?= 1
endif

# Speed, not bits: glibc's malloc asks the kernel for transparent huge pages for its big blocks. The
# evaluations allocate and free 10-300 MB temporaries on every batch (the judge's ResNet activations, the
# probes' codes), and without this each one is faulted in 4 KiB page by page: a process that reads 1,024
# faces with the judge four times took 1.85 million page faults and 5.4 s a read (median), with it 0.09
# million and 4.5 s (same outputs; one A/B run on the 2-core EPYC). glibc 2.35+; ignored elsewhere.
export GLIBC_TUNABLES ?= glibc.malloc.hugetlb=1

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

test: $(STAMP) lint check-weights checks browser

# pyflakes and pycodestyle rules at 120 columns (pyproject.toml's [tool.ruff]); seconds
lint: $(STAMP)
	$(BIN)/ruff check vaelab tests benchmarks book_check

# every committed record whole (its weights' and its config's sha256), each a run that a page declares today, and
# every run and data file the pages load present (vaelab/check_weights.py; about a minute, trains nothing)
check-weights: $(STAMP)
	$(BIN)/python -m vaelab.check_weights

# The unit tests and nbval in one pytest run on JOBS workers (pytest-xdist): a whole test file or a whole
# page per worker at a time, handed out in the order below, so the longest (the CelebA page, the chapters'
# smoke runs, ACAI) start first and the short ones fill in. Every page keeps the two torch threads it sets
# itself, so its numbers do not change; OMP_WAIT_POLICY=PASSIVE makes a waiting OpenMP thread sleep instead
# of spinning on a core the other worker needs (two processes each reading 1,024 faces with the judge at
# once: 10.0 s each with it, 14.0 s with the default policy). `make unit` and `make nbval` run the same tests
# one after the other; on this 2-core machine the unit tests and nbval took 22 min 28 s together this way.
JOBS  ?= 2
FIRST := book/celeba_csvae.ipynb tests/test_chapters.py book/acai.ipynb book/cycle_vae.ipynb \
         tests/test_chapters_celeba_folder.py book/domain_translation.ipynb
checks: $(STAMP)
	OMP_WAIT_POLICY=PASSIVE $(BIN)/python -m pytest -q -p no:cacheprovider --nbval-lax -n $(JOBS) --dist loadfile \
	  --no-loadscope-reorder --durations=15 \
	  $(FIRST) $(filter-out $(FIRST),$(sort $(wildcard tests/test_*.py)) $(CHAPTERS:%=book/%.ipynb))

unit: $(STAMP)
	$(BIN)/python -m pytest -q tests

# re-executes every chapter from the committed weights on CPU and compares the
# cells marked NBVAL_CHECK_OUTPUT (rounded metric tables)
nbval: $(STAMP)
	$(BIN)/python -m pytest -q --nbval-lax -p no:cacheprovider book/

# executes every chapter (profile=book) with papermill in place, then stitches the HTML book
book: $(STAMP)
	for c in $(CHAPTERS); do \
	  $(BIN)/papermill --cwd book book/$$c.ipynb book/$$c.ipynb -p profile book || exit 1; \
	done
	$(MAKE) html

# one chapter into _build/pages/: make page C=toy_csvae ARGS='-p profile smoke -p train True -y "seeds: [0]"'
page: $(STAMP)
	@case " $(CHAPTERS) " in *" $(C) "*) ;; *) echo "C=$(C): say which chapter, one of: $(CHAPTERS)"; exit 2;; esac
	mkdir -p _build/pages
	$(BIN)/papermill --cwd book book/$(C).ipynb _build/pages/$(C).ipynb $(ARGS)

# one module's command line with the pins above in effect (long runs whose numbers a page recomputes refuse to
# run without them): make run M=vaelab.chapters.toy_csvae.length ARGS='--total 200000 --names CSVAE'
run: $(STAMP)
	@if [ -z "$(M)" ]; then echo "M=<module>: say which module to run, e.g. M=vaelab.chapters.toy_csvae.length"; exit 2; fi
	$(BIN)/python -m $(M) $(ARGS)

html: $(STAMP)
	$(BIN)/jupyter-book build . --config _config.yml --toc book/_toc.yml

# Debian's chromium and chromium-driver for the browser test; apt-get runs only when one is missing
chromium:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
	  SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver \
	    || exit 1; \
	fi

# builds the HTML book and opens every page in headless Chromium, served on 127.0.0.1 and from
# file://, with every remote host unresolvable: fails on a broken image or font, a console error,
# a remote resource or unrendered math; screenshots go to _build/screenshots/
browser: html chromium
	$(BIN)/python -m pytest -q -p no:cacheprovider book_check

# retrains every chapter's book profile on a CUDA machine, rewriting weights and notebooks (the one command that
# replaces the book's records: VAELAB_OVERWRITE_WEIGHTS=1); each chapter's wall time (training, evaluation and
# figures) is printed and kept in _build/gpu_times.txt for the README
gpu: export VAELAB_OVERWRITE_WEIGHTS = 1
gpu: $(STAMP)
	mkdir -p _build && : > _build/gpu_times.txt
	for c in $(CHAPTERS); do \
	  t0=$$(date +%s); \
	  $(BIN)/papermill --cwd book book/$$c.ipynb book/$$c.ipynb -p profile book -p train True -p device cuda || exit 1; \
	  echo "$$c: $$(( $$(date +%s) - t0 )) s" | tee -a _build/gpu_times.txt; \
	done
	for c in $(PENDING); do \
	  t0=$$(date +%s); \
	  $(BIN)/papermill --cwd book pending/$$c.ipynb book/$$c.ipynb -p profile book -p train True -p device cuda || exit 1; \
	  echo "$$c: $$(( $$(date +%s) - t0 )) s" | tee -a _build/gpu_times.txt; \
	done
	nvidia-smi --query-gpu=name --format=csv,noheader | tee -a _build/gpu_times.txt || true

# fingerprints of the evaluations' computations on this CPU and on an emulated Intel CPU (QEMU user mode,
# Debian's qemu-user); fails if any differs. Not part of `make test`: about four minutes under emulation
cross-cpu: $(STAMP)
	@command -v qemu-x86_64 >/dev/null || { SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-user; }
	$(BIN)/python benchmarks/cross_cpu.py

clean:
	rm -rf _build
