# kobito - robotic process automation in C.
#
#   make            build bin/kobito, bin/kobito-agent, bin/kobito-scheduler
#   make deps       install the Debian packages that are missing
#   make test       deps, build, unit and end-to-end tests, then the same
#                   suite again under AddressSanitizer + UBSan
#   make demo       deps, build, and run the whole system on this machine
#   make bench      every benchmark (make bench-NAME for one)
#   make install PREFIX=/usr/local
#   make deb        the Debian packages kobito, kobito-agent, kobito-scheduler
#                   (into deb/; dpkg-buildpackage, then lintian)
#   make test-packages  install them into a clean Debian 12 root and run
#                   the services there (tests/packages.sh)
#
# SAN=1 builds into build-san/ with the sanitizers; TSAN=1 into build-tsan/
# with ThreadSanitizer (make test-tsan: the agent and scheduler tests);
# FUZZ=1 into build-fuzz/ with clang for libFuzzer (make fuzz runs each
# target FUZZ_SECONDS; docs/fuzzing.md).

PREFIX	?= /usr/local
CC	?= cc
PKGS	 = yaml-0.1 jansson libcurl sqlite3 libmicrohttpd tesseract lept libsodium libpng
# Office documents: zip + expat read workbooks, libxlsxwriter writes them,
# freexl reads .xls, poppler reads PDF, cairo + pango draw it, qpdf splits it.
PKGS	+= libzip expat xlsxwriter freexl poppler-glib gio-2.0 cairo pangocairo libqpdf
# Mail: GMime parses and builds MIME messages, libxml2 reads HTML bodies.
PKGS	+= gmime-3.0 libxml-2.0
# The daemons tell systemd when they are ready and that they are alive.
PKGS	+= libsystemd
# Logins with the city's directory: libldap (OpenLDAP's client library);
# GnuTLS's HMAC-SHA1 for one-time passwords (libsodium has no SHA-1).
PKGS	+= ldap gnutls
# Controls found by role and name: the AT-SPI accessibility bus.
PKGS	+= atspi-2 gobject-2.0
PKG_CFLAGS	:= $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# The office and mail libraries are linked into the office module, not the
# programs (agent/office.h): they would add some 10 MB to every start-up.
OFFICE_PKGS	 = libzip expat xlsxwriter freexl poppler-glib gio-2.0 cairo pangocairo libqpdf gmime-3.0 libxml-2.0
OFFICE_LIBS	:= $(shell pkg-config --libs $(OFFICE_PKGS) libcurl jansson 2>/dev/null)
# libtesseract is loaded at run time (recognizers/ocr.c): headers only.
PKG_LIBS	:= $(shell pkg-config --libs $(filter-out tesseract $(OFFICE_PKGS),$(PKGS)) 2>/dev/null) -lxdo -lX11 -lXtst -lpthread -lm -ldl

# Rows of the dispatch tables (actions, functions) may leave trailing
# optional fields out: they are zero, which each struct documents as the
# default.
WARN	 = -Wall -Wextra -Wno-missing-field-initializers -Wshadow -Wmissing-prototypes -Wstrict-prototypes -Werror
CFLAGS	?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CPPFLAGS) $(CFLAGS) $(PKG_CFLAGS) \
	    -Icommon -Iagent -Irecognizers -Ischeduler

ifeq ($(FUZZ),1)
CC	 = clang
BUILD	?= build-fuzz
BIN	?= build-fuzz/bin
# clang warns of other things than gcc, which keeps -Werror.
ALL_CFLAGS += -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -Wno-error
LDFLAGS	+= -fsanitize=address,undefined
else ifeq ($(TSAN),1)
BUILD	?= build-tsan
BIN	?= build-tsan/bin
ALL_CFLAGS += -O1 -fsanitize=thread -fno-omit-frame-pointer
LDFLAGS	+= -fsanitize=thread
else ifeq ($(SAN),1)
BUILD	?= build-san
BIN	?= build-san/bin
ALL_CFLAGS += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS	+= -fsanitize=address,undefined
else
BUILD	?= build
BIN	?= bin
endif

# The office module: the actions on workbooks, PDFs and mail, with the
# code under them, loaded by the programs when a script names one
# (agent/office.c).  The programs export their own functions to it
# (-rdynamic, the whole library linked in); the tests and fixtures link
# its objects instead.
OFFICE_SRC = agent/act_pdf.c agent/act_pdf_render.c agent/act_xlsx.c \
	agent/act_xlsx_write.c agent/act_mail.c agent/act_mail_send.c \
	common/xlsx.c common/xlsx_sheet.c common/xlsx_fill.c common/xls.c \
	common/mime_parse.c common/mime_build.c common/mime_text.c \
	common/htmltext.c
OFFICE_OBJ = $(OFFICE_SRC:%.c=$(BUILD)/pic/%.o)
OFFICE	 = $(BIN)/kobito-office.so

# Library sources: every .c in these directories except the mains.
LIB_SRC	 = $(filter-out %_main.c $(OFFICE_SRC), $(wildcard common/*.c agent/*.c recognizers/*.c scheduler/*.c))
LIB_OBJ	 = $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB	 = $(BUILD)/libkobito.a
# What the programs link: all of the library but the scheduler's part,
# its symbols exported for the module; then what they use of the rest.
CORE_OBJ = $(filter-out $(BUILD)/scheduler/%, $(LIB_OBJ))
CORE_LIB = $(BUILD)/libkobito-core.a
PROG_LIB = -rdynamic -Wl,--whole-archive $(CORE_LIB) -Wl,--no-whole-archive $(LIB)
# What the tests and fixtures link: the library, and for those that use
# the office code (OFFICE_USERS, below), its objects and libraries.
TEST_LIB = $(WITH_OFFICE) $(LIB)
TEST_LIBS = $(PKG_LIBS) $(WITH_OFFICE_LIBS)

CLI_SRC	 = $(wildcard cli/*.c)
CLI_OBJ	 = $(CLI_SRC:%.c=$(BUILD)/%.o)

UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

# Fuzz targets: fuzz/NAME.c, replayed over their corpus and regressions
# by $(BUILD)/tests/test_fuzz_NAME (a unit test), fuzzed by make fuzz.
FUZZ_NAMES = $(filter-out replay,$(patsubst fuzz/%.c,%,$(wildcard fuzz/*.c)))
FUZZ_REPLAY = $(FUZZ_NAMES:%=$(BUILD)/tests/test_fuzz_%)
FUZZ_SECONDS ?= 60

FIXTURE_SRC = $(wildcard tests/fixtures/*.c)
FIXTURE_BIN = $(FIXTURE_SRC:tests/fixtures/%.c=$(BUILD)/fixtures/%)
# Stand-ins written in Java (a Swing client, driven through the ATK bridge).
JAVA_SRC = $(wildcard tests/fixtures/*.java)
JAVA_BIN = $(JAVA_SRC:tests/fixtures/%.java=$(BUILD)/fixtures/%.class)

PROGS	 = $(BIN)/kobito
ifneq ($(wildcard agent/agent_main.c),)
PROGS	+= $(BIN)/kobito-agent
endif
ifneq ($(wildcard scheduler/scheduler_main.c),)
PROGS	+= $(BIN)/kobito-scheduler
endif

.PHONY: all deps test test-tsan unit e2e demo bench clean install fixtures fuzz fuzz-bins
.PHONY: progs man deb test-packages
all: $(PROGS) $(OFFICE) fixtures

progs: $(PROGS) $(OFFICE)

# The man pages, from man/*.in and the programs' own option tables.
MAN_PAGES = kobito.1 kobito-script.5 kobito-agent.8 kobito-scheduler.8
man: $(PROGS) tools/mkman.sh $(wildcard man/*.in)
	sh tools/mkman.sh $(BIN) $(BUILD)/man

fixtures: $(FIXTURE_BIN) $(JAVA_BIN)

$(BUILD)/fixtures/%.class: tests/fixtures/%.java
	@mkdir -p $(dir $@)
	javac -encoding UTF-8 -d $(dir $@) $<

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(CORE_LIB): $(CORE_OBJ)
	@rm -f $@
	ar rcs $@ $^

# The module's objects go into a shared object: position-independent.
$(BUILD)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fPIC -MMD -MP -c -o $@ $<

$(OFFICE): $(OFFICE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) -shared $(LDFLAGS) -o $@ $(OFFICE_OBJ) $(OFFICE_LIBS)

$(BIN)/kobito: $(CLI_OBJ) $(CORE_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(PROG_LIB) $(PKG_LIBS)

$(BIN)/kobito-agent: $(BUILD)/agent/agent_main.o $(CORE_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(PROG_LIB) $(PKG_LIBS)

# The scheduler builds notification mail (GMime): it links the office
# code in, and so never loads the module.
$(BIN)/kobito-scheduler: $(BUILD)/scheduler/scheduler_main.o $(OFFICE_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(OFFICE_OBJ) $(LIB) $(PKG_LIBS) $(OFFICE_LIBS)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(TEST_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(TEST_LIB) $(TEST_LIBS) -lcmocka

# The tests and fixtures that call the office code link it in (the
# scheduler's API builds notification mail).
OFFICE_USERS = $(BUILD)/tests/test_mime $(BUILD)/fixtures/surveygen \
	$(BUILD)/tests/test_api $(BUILD)/tests/test_fuzz_api \
	$(BUILD)/fuzz/fuzz_api
$(OFFICE_USERS): $(OFFICE_OBJ)
$(OFFICE_USERS): WITH_OFFICE = $(OFFICE_OBJ)
$(OFFICE_USERS): WITH_OFFICE_LIBS = $(OFFICE_LIBS)

# Fixtures that are real programs (stand-in systems) are built like the rest.
GTK_CFLAGS = $(shell pkg-config --cflags gtk+-3.0 2>/dev/null)
GTK_LIBS   = $(shell pkg-config --libs gtk+-3.0 2>/dev/null)
$(BUILD)/fixtures/legacy_finance: tests/fixtures/legacy_finance.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -Wno-deprecated-declarations $(CFLAGS) $(GTK_CFLAGS) -o $@ $< $(GTK_LIBS)

$(BUILD)/fixtures/formgen: tests/fixtures/formgen.c $(TEST_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(GTK_CFLAGS) $(LDFLAGS) -o $@ $< $(TEST_LIB) $(TEST_LIBS) $(GTK_LIBS)

# The 総務事務 stand-in is its server and, in somu/, its screens.
SOMU_SRC = tests/fixtures/somu_web.c $(wildcard tests/fixtures/somu/*.c)
$(BUILD)/fixtures/somu_web: $(SOMU_SRC) tests/fixtures/somu/somu.h $(TEST_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/fixtures/somu $(LDFLAGS) -o $@ $(SOMU_SRC) $(TEST_LIB) $(TEST_LIBS)

FORMGEN2_SRC = tests/fixtures/formgen2.c tests/fixtures/formgen2/heldout2.c
$(BUILD)/fixtures/formgen2: $(FORMGEN2_SRC) tests/fixtures/formgen2/formgen2.h $(TEST_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/fixtures/formgen2 $(GTK_CFLAGS) $(LDFLAGS) -o $@ $(FORMGEN2_SRC) $(TEST_LIB) $(TEST_LIBS) $(GTK_LIBS)

$(BUILD)/fixtures/%: tests/fixtures/%.c $(TEST_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(TEST_LIB) $(TEST_LIBS)

deps:
	@sh tools/deps.sh

# The whole suite, then again under the sanitizers.
test: deps
	$(MAKE) all
	$(MAKE) unit-bins
	sh tests/run.sh build bin
	$(MAKE) SAN=1 all
	$(MAKE) SAN=1 unit-bins
	sh tests/run.sh build-san build-san/bin

unit-bins: $(UNIT_BIN) $(FUZZ_REPLAY)

$(BUILD)/tests/test_fuzz_%: $(BUILD)/fuzz/%.o $(BUILD)/fuzz/replay.o $(TEST_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/fuzz/replay.o $(TEST_LIB) $(TEST_LIBS)

# Each target under libFuzzer for FUZZ_SECONDS (tools/fuzz.sh).
fuzz: deps
	$(MAKE) FUZZ=1 fuzz-bins
	sh tools/fuzz.sh build-fuzz $(FUZZ_SECONDS) $(FUZZ_NAMES)

fuzz-bins: $(FUZZ_NAMES:%=$(BUILD)/fuzz/fuzz_%)

$(BUILD)/fuzz/fuzz_%: $(BUILD)/fuzz/%.o $(TEST_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $< $(TEST_LIB) $(TEST_LIBS)

# The threaded daemons under ThreadSanitizer (any report fails the test:
# the sanitizer's exit status).
test-tsan: deps
	$(MAKE) TSAN=1 all
	sh tests/run.sh build-tsan build-tsan/bin agent_
	sh tests/run.sh build-tsan build-tsan/bin sched_

demo: deps
	$(MAKE) all
	sh tools/demo.sh

bench: deps
	$(MAKE) all
	@for b in $(patsubst bench/%.sh,%,$(wildcard bench/*.sh)); do \
		$(MAKE) --no-print-directory bench-$$b || exit 1; done

bench-%: all
	sh bench/$*.sh

install: progs man
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/kobito
	install -m 755 $(PROGS) $(DESTDIR)$(PREFIX)/bin/
	install -d $(DESTDIR)$(PREFIX)/lib/kobito
	install -m 644 $(OFFICE) $(DESTDIR)$(PREFIX)/lib/kobito/
	cp -R scripts dashboard config $(DESTDIR)$(PREFIX)/share/kobito/
	for p in $(MAN_PAGES); do \
		s=$${p##*.}; install -d $(DESTDIR)$(PREFIX)/share/man/man$$s; \
		install -m 644 $(BUILD)/man/$$p $(DESTDIR)$(PREFIX)/share/man/man$$s/; \
	done

# Debian packages, built from a clean copy of the committed tree (deb/src)
# so that the working tree's build directories stay as they are.
deb:
	sh tools/mkdeb.sh

# The packages installed into a clean Debian 12 root, their services
# started, a script run end to end, and everything removed again.  Where
# it cannot run at all (not root, a container that may not mount), it says
# so and does not fail the build.
test-packages: deps
	$(MAKE) deb
	sh tests/packages.sh || [ $$? = 77 ]

clean:
	rm -rf build build-san build-tsan build-fuzz bin deb

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
