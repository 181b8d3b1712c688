# vers — plain GNU Make, non-recursive.
#   make            build/vers and build/vers-init
#   make deps       install missing Debian packages (idempotent)
#   make check      deps + build + layer check + unit, fuzz-replay, end-to-end and restore tests
#   make fuzz       the libFuzzer targets (tests/fuzz/) with clang, into build/fuzz/
#   make fuzz-replay  replay each fuzzer's corpus, then a short fixed-seed run of each
#   make asan       the same tests against an ASan+UBSan build (build-asan/)
#   make demo       deps + build + the e-commerce example end to end
#   make bench      branch speed and footprint against the alternatives (bench/bench.sh)

BUILD   ?= build
CC      ?= cc
PREFIX  ?= /usr/local
WARN    := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes \
           -Werror=implicit-function-declaration -Werror=return-type -Werror=incompatible-pointer-types \
           -Wno-unused-parameter -Wno-format-truncation
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE $(WARN) -Isrc/lib -Isrc/cmd -I/usr/include/libxml2
LIBS    := -lbtrfsutil -lsqlite3 -lyaml -lseccomp -ljansson -lcrypto -ldl
# libarchive and libxml2 are dlopen()ed by the commands that use them (src/lib/ship/lazylib.h);
# the unit tests that check tars and XML link them themselves
TEST_LIBS := -larchive -lxml2

ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

LIB_SRC   := $(sort $(wildcard src/lib/*/*.c))
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/%.o)
CMD_SRC   := src/main.c $(sort $(wildcard src/cmd/*.c))
CMD_OBJ   := $(CMD_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
PROG_SRC  := $(sort $(wildcard tests/progs/*.c))
PROG_BIN  := $(PROG_SRC:tests/progs/%.c=$(BUILD)/progs/%)
FUZZ_SRC  := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN  := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
# the fuzzers link the layers they test (base, format), built again with clang and the
# fuzzer's instrumentation; the archive pulls in only what each target uses
FUZZ_CC   ?= clang
FUZZ_FLAGS := -g -O1 -std=c11 -D_GNU_SOURCE $(filter-out -Wno-format-truncation,$(WARN)) -Isrc/lib -fno-omit-frame-pointer \
              -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_LSRC := $(sort $(wildcard src/lib/base/*.c src/lib/format/*.c))
FUZZ_LOBJ := $(FUZZ_LSRC:%.c=$(BUILD)/fuzz/obj/%.o)
# the fixed-seed run after the replay: deterministic (one seed, one process) and short
FUZZ_RUNS ?= 20000

all: $(BUILD)/vers $(BUILD)/vers-init

$(BUILD)/%.o: %.c $(wildcard src/lib/*/*.h src/cmd/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/libvers.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/vers: $(CMD_OBJ) $(BUILD)/libvers.a
	$(CC) $(LDFLAGS) -o $@ $(CMD_OBJ) $(BUILD)/libvers.a $(LIBS)

# vers-init runs as PID 1 inside every env, whose root may have a libc of its own (FROM
# debian:<suite>): it is linked statically, without sanitizers, and reads users from files.
INIT_CFLAGS := -O2 -g -std=c11 -D_GNU_SOURCE $(WARN) -Isrc/lib
$(BUILD)/vers-init: src/init/vers-init.c src/lib/os/passwd.c src/lib/os/passwd.h
	@mkdir -p $(dir $@)
	$(CC) $(INIT_CFLAGS) -static -o $@ src/init/vers-init.c src/lib/os/passwd.c

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libvers.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libvers.a $(LIBS) $(TEST_LIBS) -lcmocka

# the command layer's test links the commands (all but main.o) with the library
CLI_OBJ := $(filter-out $(BUILD)/src/main.o,$(CMD_OBJ))
$(BUILD)/tests/test_cli: tests/unit/test_cli.c $(CLI_OBJ) $(BUILD)/libvers.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(CLI_OBJ) $(BUILD)/libvers.a $(LIBS) $(TEST_LIBS) -lcmocka

$(BUILD)/progs/%: tests/progs/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< -lpq -lyaml -ljansson

$(BUILD)/fuzz/obj/%.o: %.c $(wildcard src/lib/base/*.h src/lib/format/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(BUILD)/fuzz/libfuzzlib.a: $(FUZZ_LOBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/fuzz/%: tests/fuzz/%.c $(BUILD)/fuzz/libfuzzlib.a
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< $(BUILD)/fuzz/libfuzzlib.a $(LIBS)

fuzz: $(FUZZ_BIN)

# every corpus input once, then FUZZ_RUNS new inputs from seed 1; fails on a crash, a leak
# or a sanitizer report (new inputs go to a scratch directory, never into the corpus)
fuzz-replay: $(FUZZ_BIN)
	@scripts/run-fuzz.sh $(FUZZ_RUNS) $(FUZZ_BIN)

deps:
	@scripts/deps.sh

install: all
	install -D -m 755 $(BUILD)/vers $(DESTDIR)$(PREFIX)/bin/vers
	install -D -m 755 $(BUILD)/vers-init $(DESTDIR)$(PREFIX)/lib/vers/vers-init

unit: $(UNIT_BIN)
	@scripts/run-unit.sh $(UNIT_BIN)

valgrind: $(UNIT_BIN)
	@VALGRIND=1 scripts/run-unit.sh $(UNIT_BIN)

progs: $(PROG_BIN)

cli: all progs
	@VERS_BUILD=$(BUILD) scripts/run-cli.sh

# experimental, not part of check: a warm commit restored by podman (runc + vers's CRIU)
check-podman-checkpoint: all progs
	@VERS_BUILD=$(BUILD) scripts/run-cli.sh tests/slow/podman-checkpoint.bats

# the library's layers have no back-edge (includes and the objects' symbols), the commands
# leave the metadata and the store to the library, and the checks themselves still catch one
layers: $(LIB_OBJ)
	@scripts/check-layers.sh src $(BUILD)/src/lib scripts/layers.allow
	@CC=$(CC) tests/layers/run.sh
	@scripts/check-cmd.sh src/cmd
	@scripts/check-cmd.sh --self-test

check: deps
	@$(MAKE) --no-print-directory all layers unit valgrind fuzz-replay cli

asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan SAN=1 all unit cli

demo: deps
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh

# speed and footprint against the alternatives; reports, never fails on speed
BENCH_SIZES ?= 20M 150M
bench: deps $(BUILD)/spawn-time
	@$(MAKE) --no-print-directory all
	@command -v gnuplot >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gnuplot-nox >/dev/null || true
	@scripts/pg18-install.sh || echo "bench: no PostgreSQL 18 (its row prints -)"
	@SPAWN_TIME=$(abspath $(BUILD))/spawn-time BENCH_SIZES="$(BENCH_SIZES)" bench/bench.sh

# times whole processes from C for the bench (bash's fork+exec is slower than some of them)
$(BUILD)/spawn-time: bench/spawn-time.c
	@mkdir -p $(BUILD)
	$(CC) -O2 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -o $@ $<

# how long and how big export, push, pull and bundles of the example database are (reports)
bench-ship: all progs
	@VERS_BUILD=$(BUILD) scripts/run-cli.sh tests/bench/ship.bats

format:
	clang-format -i src/*.c src/cmd/*.[ch] src/lib/*/*.[ch] src/init/*.c tests/unit/*.c tests/progs/*.c

clean:
	rm -rf build build-asan

.PHONY: all deps layers install unit valgrind progs fuzz fuzz-replay cli check asan demo bench format clean \
	check-podman-checkpoint bench-ship
