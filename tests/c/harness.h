/*
 * A tiny test harness for tgauth's C ABI: checks with file:line output, a test runner,
 * a synchronous wrapper around tg_send_code, a minimal JSON reader for the test DC's
 * output, and a "silent" TCP listener (accepts, reads, never answers).
 *
 * Header-only (everything static inline); C11 + POSIX threads.
 */
#ifndef TGAUTH_TEST_HARNESS_H
#define TGAUTH_TEST_HARNESS_H

#define _GNU_SOURCE 1

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tgauth.h"

/* ------------------------------------------------------------------------------------ */
/* Checks                                                                                */

static atomic_int h_failures; /* failures in the current test (checks may run on any thread) */
static pthread_mutex_t h_print_lock = PTHREAD_MUTEX_INITIALIZER;

static inline void h_fail(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    pthread_mutex_lock(&h_print_lock);
    fprintf(stderr, "%s:%d: check failed: ", file, line);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    fflush(stderr);
    pthread_mutex_unlock(&h_print_lock);
    va_end(ap);
    atomic_fetch_add(&h_failures, 1);
}

/* Records a failure and goes on. */
#define CHECK(cond)                                                                 \
    do {                                                                            \
        if (!(cond)) h_fail(__FILE__, __LINE__, "%s", #cond);                       \
    } while (0)

/* Records a failure and returns from the (void) test function. */
#define REQUIRE(cond)                                                               \
    do {                                                                            \
        if (!(cond)) {                                                              \
            h_fail(__FILE__, __LINE__, "%s (required; test stops)", #cond);         \
            return;                                                                 \
        }                                                                           \
    } while (0)

#define CHECK_INT(a, b)                                                             \
    do {                                                                            \
        long long h_a_ = (long long)(a), h_b_ = (long long)(b);                     \
        if (h_a_ != h_b_)                                                           \
            h_fail(__FILE__, __LINE__, "%s == %s (%lld != %lld)", #a, #b, h_a_, h_b_); \
    } while (0)

/* tg_result comparison that prints names. */
#define CHECK_RC(a, b)                                                              \
    do {                                                                            \
        tg_result h_a_ = (tg_result)(a), h_b_ = (tg_result)(b);                     \
        if (h_a_ != h_b_)                                                           \
            h_fail(__FILE__, __LINE__, "%s == %s (%u \"%s\" != %u \"%s\")", #a, #b, \
                   (unsigned)h_a_, h_a_ <= TG_RESULT_IO ? tg_result_str(h_a_) : "?",  \
                   (unsigned)h_b_, h_b_ <= TG_RESULT_IO ? tg_result_str(h_b_) : "?"); \
    } while (0)

#define CHECK_STR(a, b)                                                             \
    do {                                                                            \
        const char *h_a_ = (a), *h_b_ = (b);                                        \
        if (h_a_ == NULL || h_b_ == NULL || strcmp(h_a_, h_b_) != 0)                \
            h_fail(__FILE__, __LINE__, "%s == %s (\"%s\" != \"%s\")", #a, #b,       \
                   h_a_ ? h_a_ : "(null)", h_b_ ? h_b_ : "(null)");                 \
    } while (0)

/* ------------------------------------------------------------------------------------ */
/* Runner                                                                                */

typedef struct h_test {
    const char *name;
    void (*fn)(void);
} h_test;

static inline double h_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void h_sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/*
 * Runs every test (or those whose name contains argv[1]). Prints one "[ RUN  ]" line
 * before and one "[ PASS ]"/"[ FAIL ]" line after each test (run.sh counts those: a
 * RUN without its result means the binary died in that test), then a summary.
 * A watchdog (alarm) kills a binary that hangs, e.g. on a deadlock in tg_client_free.
 */
static inline int h_run(int argc, char **argv, const h_test *tests, size_t count,
                        unsigned watchdog_seconds) {
    const char *filter = argc > 1 ? argv[1] : NULL;
    int passed = 0, failed = 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (watchdog_seconds) alarm(watchdog_seconds);
    for (size_t i = 0; i < count; i++) {
        if (filter && !strstr(tests[i].name, filter)) continue;
        printf("[ RUN  ] %s\n", tests[i].name);
        fflush(stdout);
        atomic_store(&h_failures, 0);
        double t0 = h_now();
        tests[i].fn();
        double ms = (h_now() - t0) * 1000.0;
        if (atomic_load(&h_failures) == 0) {
            printf("[ PASS ] %s (%.0f ms)\n", tests[i].name, ms);
            passed++;
        } else {
            printf("[ FAIL ] %s (%.0f ms)\n", tests[i].name, ms);
            failed++;
        }
        fflush(stdout);
    }
    printf("%s: %d passed, %d failed\n", argv[0], passed, failed);
    return failed ? 1 : 0;
}

/*
 * Runs fn in a forked child, so a crash in the library (SIGSEGV, an ASan/UBSan abort) is
 * one failed check here instead of the end of the binary. The child has one thread; use
 * it only for calls that need no library thread (pure functions).
 */
static inline void h_in_child(const char *file, int line, const char *what, void (*fn)(void)) {
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        h_fail(file, line, "fork: %s", strerror(errno));
        return;
    }
    if (pid == 0) {
        alarm(10);
        atomic_store(&h_failures, 0);
        fn();
        fflush(stdout);
        fflush(stderr);
        _exit(atomic_load(&h_failures) ? 1 : 0);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFSIGNALED(status))
        h_fail(file, line, "%s: the child died of signal %d", what, WTERMSIG(status));
    else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        h_fail(file, line, "%s: the child failed (exit status %d)", what, WEXITSTATUS(status));
}

#define IN_CHILD(fn) h_in_child(__FILE__, __LINE__, #fn, fn)

/* ------------------------------------------------------------------------------------ */
/* Capturing a callback                                                                  */

/* Everything a tg_send_code callback received, copied out of the borrowed structs. */
typedef struct h_outcome {
    int calls;                 /* how many times the callback ran (must end up 1) */
    bool ok;                   /* sent_code non-NULL */
    bool both_null, both_set;  /* contract violations: exactly one must be non-NULL */
    bool on_caller_thread;     /* contract violation: called on the thread that sent */
    double elapsed;            /* seconds from tg_send_code to the callback */
    /* tg_sent_code */
    tg_sent_code_kind kind;
    char phone_code_hash[256];
    bool hash_null;
    tg_code_type type;
    int32_t length;
    tg_code_type next_type;
    int32_t timeout;
    /* tg_error */
    tg_result result;
    int32_t code;
    char name[256];
    bool name_null;
    int64_t value;
    char message[1024];
    bool message_null;
} h_outcome;

static inline void h_copy(char *dst, size_t size, const char *src, bool *was_null) {
    *was_null = src == NULL;
    snprintf(dst, size, "%s", src ? src : "");
}

/* Fills `out` from what a callback received (call inside the callback). */
static inline void h_capture(h_outcome *out, const tg_sent_code *sent, const tg_error *error) {
    out->calls++;
    out->ok = sent != NULL;
    out->both_null = sent == NULL && error == NULL;
    out->both_set = sent != NULL && error != NULL;
    if (sent) {
        out->kind = sent->kind;
        h_copy(out->phone_code_hash, sizeof out->phone_code_hash, sent->phone_code_hash,
               &out->hash_null);
        out->type = sent->type;
        out->length = sent->length;
        out->next_type = sent->next_type;
        out->timeout = sent->timeout;
        out->result = TG_RESULT_OK;
    }
    if (error) {
        out->result = error->result;
        out->code = error->code;
        h_copy(out->name, sizeof out->name, error->name, &out->name_null);
        out->value = error->value;
        h_copy(out->message, sizeof out->message, error->message, &out->message_null);
    }
}

/* Shared between send_code_sync and its callback; freed by whichever lets go last, so a
 * callback arriving after send_code_sync gave up never touches freed memory. */
typedef struct h_sync_state {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int refs;
    bool done;
    pthread_t caller;
    double started;
    h_outcome out;
} h_sync_state;

static inline void h_sync_unref_locked(h_sync_state *s) {
    if (--s->refs == 0) {
        pthread_mutex_unlock(&s->lock);
        pthread_mutex_destroy(&s->lock);
        pthread_cond_destroy(&s->cond);
        free(s);
    } else {
        pthread_mutex_unlock(&s->lock);
    }
}

static inline void h_sync_callback(void *user_data, const tg_sent_code *sent,
                                   const tg_error *error) {
    h_sync_state *s = user_data;
    pthread_mutex_lock(&s->lock);
    h_capture(&s->out, sent, error);
    s->out.elapsed = h_now() - s->started;
    if (pthread_equal(pthread_self(), s->caller)) s->out.on_caller_thread = true;
    if (!s->done) {
        s->done = true;
        pthread_cond_broadcast(&s->cond);
        h_sync_unref_locked(s);
    } else {
        /* A second call: the caller already copied the first outcome; record it loudly. */
        fprintf(stderr, "harness: a tg_send_code callback ran more than once\n");
        atomic_fetch_add(&h_failures, 1);
        pthread_mutex_unlock(&s->lock);
    }
}

/* What send_code_sync saw. */
typedef struct send_result {
    tg_result rc;        /* tg_send_code's own return */
    bool completed;      /* the callback ran within the wait */
    uint64_t request_id;
    h_outcome out;       /* valid when completed */
} send_result;

/*
 * Starts tg_send_code without waiting; *rc gets its return. Returns the state to pass to
 * h_async_wait (exactly once), also on a refusal.
 */
static inline h_sync_state *h_async_start(tg_client *client, const char *phone, int32_t api_id,
                                          const char *api_hash, const tg_code_settings *settings,
                                          tg_result *rc, uint64_t *request_id) {
    h_sync_state *s = calloc(1, sizeof *s);
    if (!s) abort();
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    s->refs = 2;
    s->caller = pthread_self();
    s->started = h_now();
    *rc = tg_send_code(client, phone, api_id, api_hash, settings, h_sync_callback, s, request_id);
    if (*rc != TG_RESULT_OK) {
        pthread_mutex_lock(&s->lock);
        s->refs--; /* the callback must never come */
        pthread_mutex_unlock(&s->lock);
    }
    return s;
}

/* Waits up to `wait_ms` for the callback of h_async_start's request and lets go of it. A
 * callback arriving after the wait still lands safely (the state is reference-counted). */
static inline send_result h_async_wait(h_sync_state *s, tg_result rc, uint64_t request_id,
                                       long wait_ms) {
    send_result r;
    memset(&r, 0, sizeof r);
    r.rc = rc;
    r.request_id = request_id;
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += wait_ms / 1000;
    deadline.tv_nsec += (wait_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->lock);
    if (rc == TG_RESULT_OK) {
        while (!s->done) {
            if (pthread_cond_timedwait(&s->cond, &s->lock, &deadline) == ETIMEDOUT) break;
        }
    }
    r.completed = s->done;
    r.out = s->out;
    h_sync_unref_locked(s);
    return r;
}

/*
 * tg_send_code, waiting up to `wait_ms` for the callback. On a refusal (rc != OK) the
 * callback must never run; on OK it must run exactly once.
 */
static inline send_result send_code_sync(tg_client *client, const char *phone, int32_t api_id,
                                         const char *api_hash, const tg_code_settings *settings,
                                         long wait_ms) {
    tg_result rc;
    uint64_t id = 0;
    h_sync_state *s = h_async_start(client, phone, api_id, api_hash, settings, &rc, &id);
    return h_async_wait(s, rc, id, wait_ms);
}

/* Asserts the common shape of a completed request. */
#define CHECK_COMPLETED(res)                                                        \
    do {                                                                            \
        CHECK_RC((res).rc, TG_RESULT_OK);                                           \
        CHECK((res).completed);                                                     \
        CHECK_INT((res).out.calls, 1);                                              \
        CHECK(!(res).out.both_null);                                                \
        CHECK(!(res).out.both_set);                                                 \
        CHECK(!(res).out.on_caller_thread);                                         \
        if (!(res).out.ok) {                                                        \
            CHECK(!(res).out.name_null);                                            \
            CHECK(!(res).out.message_null);                                         \
        } else {                                                                    \
            CHECK(!(res).out.hash_null);                                            \
        }                                                                           \
    } while (0)

/* A completed request that failed with an RPC error. */
#define CHECK_RPC(res, want_code, want_name, want_value)                            \
    do {                                                                            \
        CHECK_COMPLETED(res);                                                       \
        CHECK(!(res).out.ok);                                                       \
        CHECK_RC((res).out.result, TG_RESULT_RPC);                                  \
        CHECK_INT((res).out.code, (want_code));                                     \
        CHECK_STR((res).out.name, (want_name));                                     \
        CHECK_INT((res).out.value, (want_value));                                   \
        CHECK((res).out.message[0] != '\0');                                        \
    } while (0)

/* A completed request that failed with a non-RPC error of kind `want`. */
#define CHECK_FAILED_WITH(res, want)                                                \
    do {                                                                            \
        CHECK_COMPLETED(res);                                                       \
        CHECK(!(res).out.ok);                                                       \
        CHECK_RC((res).out.result, (want));                                         \
        CHECK_INT((res).out.code, 0);                                               \
        CHECK_STR((res).out.name, "");                                              \
        CHECK_INT((res).out.value, -1);                                             \
        CHECK((res).out.message[0] != '\0');                                        \
    } while (0)

/* ------------------------------------------------------------------------------------ */
/* Minimal JSON reading (enough for the test DC's own, compact output)                   */

/* The position just after `"key"` and its ':' (white space allowed), between p and end. */
static inline const char *json_key(const char *p, const char *end, const char *key) {
    size_t klen = strlen(key);
    while (p && p < end) {
        const char *q = strchr(p, '"');
        if (!q || q >= end) return NULL;
        if ((size_t)(end - q) > klen + 1 && strncmp(q + 1, key, klen) == 0 && q[klen + 1] == '"') {
            const char *v = q + klen + 2;
            while (v < end && (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r')) v++;
            if (v < end && *v == ':') {
                v++;
                while (v < end && (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r')) v++;
                return v;
            }
        }
        /* Skip this whole string token (keys and string values alike). */
        q++;
        while (q < end && *q != '"') q += (*q == '\\' && q + 1 < end) ? 2 : 1;
        p = q + 1;
    }
    return NULL;
}

/* An integer value of `key` in [p, end). */
static inline bool json_int(const char *p, const char *end, const char *key, long long *out) {
    const char *v = json_key(p, end, key);
    if (!v) return false;
    char *stop;
    errno = 0;
    long long n = strtoll(v, &stop, 10);
    if (stop == v || errno) return false;
    *out = n;
    return true;
}

/* A string value of `key` in [p, end), unescaped (\n \t \" \\ \/ \uXXXX for ASCII) into a
 * malloc'd string; NULL when absent or not a string. */
static inline char *json_str(const char *p, const char *end, const char *key) {
    const char *v = json_key(p, end, key);
    if (!v || v >= end || *v != '"') return NULL;
    v++;
    char *out = malloc((size_t)(end - v) + 1);
    if (!out) abort();
    size_t n = 0;
    while (v < end && *v != '"') {
        if (*v == '\\' && v + 1 < end) {
            v++;
            switch (*v) {
            case 'n': out[n++] = '\n'; break;
            case 't': out[n++] = '\t'; break;
            case 'r': out[n++] = '\r'; break;
            case 'u': {
                unsigned cp = 0;
                if (end - v > 4 && sscanf(v + 1, "%4x", &cp) == 1 && cp < 0x80) out[n++] = (char)cp;
                else out[n++] = '?';
                v += 4;
                break;
            }
            default: out[n++] = *v; break; /* " \ / */
            }
            v++;
        } else {
            out[n++] = *v++;
        }
    }
    if (v >= end) {
        free(out);
        return NULL;
    }
    out[n] = '\0';
    return out;
}

/* The end of the JSON value (object or array) starting at p ('{' or '['), just after it. */
static inline const char *json_skip(const char *p) {
    int depth = 0;
    for (; *p; p++) {
        if (*p == '"') {
            for (p++; *p && *p != '"'; p++)
                if (*p == '\\' && p[1]) p++;
            if (!*p) return NULL;
        } else if (*p == '{' || *p == '[') {
            depth++;
        } else if (*p == '}' || *p == ']') {
            if (--depth == 0) return p + 1;
        }
    }
    return NULL;
}

/* Calls fn(obj_start, obj_end, ctx) for every object of the array starting at p ('[');
 * returns how many objects, or -1 when it is not an array. */
static inline int json_each_object(const char *p, void (*fn)(const char *, const char *, void *),
                                   void *ctx) {
    if (!p || *p != '[') return -1;
    const char *end = json_skip(p);
    if (!end) return -1;
    int count = 0;
    for (const char *q = p + 1; q < end; q++) {
        if (*q == '"') {
            for (q++; q < end && *q != '"'; q++)
                if (*q == '\\') q++;
        } else if (*q == '{') {
            const char *oend = json_skip(q);
            if (!oend) return -1;
            if (fn) fn(q, oend, ctx);
            count++;
            q = oend - 1;
        }
    }
    return count;
}

/* ------------------------------------------------------------------------------------ */
/* The test DC                                                                            */

#define H_MAX_DCS 16

typedef struct testdc_info {
    int ndcs;
    int dc_id[H_MAX_DCS];
    char host[H_MAX_DCS][64];
    int port[H_MAX_DCS];
    int32_t api_id;
    char *api_hash;       /* malloc'd */
    char *rsa_public_key; /* malloc'd, \n unescaped */
} testdc_info;

static inline void h_info_dc(const char *p, const char *end, void *ctx) {
    testdc_info *info = ctx;
    if (info->ndcs >= H_MAX_DCS) return;
    long long id = 0, port = 0;
    char *host = json_str(p, end, "host");
    if (json_int(p, end, "id", &id) && json_int(p, end, "port", &port) && host) {
        info->dc_id[info->ndcs] = (int)id;
        info->port[info->ndcs] = (int)port;
        snprintf(info->host[info->ndcs], sizeof info->host[0], "%s", host);
        info->ndcs++;
    }
    free(host);
}

static inline void testdc_info_free(testdc_info *info) {
    free(info->api_hash);
    free(info->rsa_public_key);
    memset(info, 0, sizeof *info);
}

/* Parses tg_testdc_info_json's line; false when anything is missing. */
static inline bool testdc_info_parse(const char *json, testdc_info *info) {
    memset(info, 0, sizeof *info);
    if (!json) return false;
    const char *end = json + strlen(json);
    long long api_id = 0;
    const char *dcs = json_key(json, end, "dcs");
    if (json_each_object(dcs, h_info_dc, info) < 1 || !json_int(json, end, "api_id", &api_id)) {
        testdc_info_free(info);
        return false;
    }
    info->api_id = (int32_t)api_id;
    info->api_hash = json_str(json, end, "api_hash");
    info->rsa_public_key = json_str(json, end, "rsa_public_key");
    if (!info->api_hash || !info->rsa_public_key ||
        !strstr(info->rsa_public_key, "-----BEGIN RSA PUBLIC KEY-----\n")) {
        testdc_info_free(info);
        return false;
    }
    return true;
}

/* The port of DC `id`, or -1. */
static inline int testdc_port(const testdc_info *info, int id) {
    for (int i = 0; i < info->ndcs; i++)
        if (info->dc_id[i] == id) return info->port[i];
    return -1;
}

/*
 * The test DC's private key as the body of a JSON string, read once from the PEM file
 * named by TGAUTH_TEST_KEY_FILE (run.sh makes one with openssl); NULL without it. Reusing
 * one key spares each tg_testdc_start a fresh RSA-2048 key, which takes seconds under ASan.
 */
static char *h_key_json;
static pthread_once_t h_key_once = PTHREAD_ONCE_INIT;

static inline void h_key_load(void) {
    const char *path = getenv("TGAUTH_TEST_KEY_FILE");
    FILE *f = path && *path ? fopen(path, "r") : NULL;
    if (!f) return;
    char pem[8192];
    size_t n = fread(pem, 1, sizeof pem - 1, f);
    fclose(f);
    pem[n] = '\0';
    if (!strstr(pem, "PRIVATE KEY-----")) return;
    char *out = malloc(2 * n + 1);
    if (!out) abort();
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (pem[i] == '\n') {
            out[k++] = '\\';
            out[k++] = 'n';
        } else if (pem[i] != '\r') {
            out[k++] = pem[i];
        }
    }
    out[k] = '\0';
    h_key_json = out;
}

static inline const char *h_test_key_json(void) {
    pthread_once(&h_key_once, h_key_load);
    return h_key_json;
}

/* Starts a test DC with `options` (JSON or NULL) and parses its info; NULL on failure. */
static inline tg_testdc *testdc_start(const char *options, testdc_info *info) {
    tg_testdc *dc = NULL;
    tg_result r = tg_testdc_start(options, &dc);
    if (r != TG_RESULT_OK || !dc) {
        h_fail(__FILE__, __LINE__, "tg_testdc_start(%s) = %s", options ? options : "NULL",
               tg_result_str(r));
        return NULL;
    }
    if (!testdc_info_parse(tg_testdc_info_json(dc), info)) {
        h_fail(__FILE__, __LINE__, "cannot parse the test DC's info: %s",
               tg_testdc_info_json(dc));
        tg_testdc_stop(dc);
        return NULL;
    }
    return dc;
}

/* Starts a test DC with the JSON object members `fields` (e.g. "\"dcs\":3", or "" for the
 * defaults) plus the shared test key when there is one; parses its info. NULL on failure. */
static inline tg_testdc *testdc_start_with(const char *fields, testdc_info *info) {
    const char *key = h_test_key_json();
    size_t len = strlen(fields) + (key ? strlen(key) : 0) + 32;
    char *options = malloc(len);
    if (!options) abort();
    if (key)
        snprintf(options, len, "{%s%s\"key_pem\":\"%s\"}", fields, *fields ? "," : "", key);
    else
        snprintf(options, len, "{%s}", fields);
    tg_testdc *dc = testdc_start(options, info);
    free(options);
    return dc;
}

/* One counter of tg_testdc_stats_json, or -1. */
static inline long long testdc_stat(const tg_testdc *dc, const char *key) {
    char *json = NULL;
    long long v = -1;
    if (tg_testdc_stats_json(dc, &json) == TG_RESULT_OK && json) {
        if (!json_int(json, json + strlen(json), key, &v)) v = -1;
    }
    tg_string_free(json);
    return v;
}

/* The codes the test DC kept for a number. */
typedef struct kept_code {
    int dc;
    char code[64];
    char phone_code_hash[256];
    char phone_number[64];
} kept_code;

typedef struct kept_codes {
    int count;
    kept_code last; /* the newest */
} kept_codes;

static inline void h_code_obj(const char *p, const char *end, void *ctx) {
    kept_codes *codes = ctx;
    long long dc = -1;
    char *code = json_str(p, end, "code"), *hash = json_str(p, end, "phone_code_hash"),
         *number = json_str(p, end, "phone_number");
    json_int(p, end, "dc", &dc);
    codes->last.dc = (int)dc;
    snprintf(codes->last.code, sizeof codes->last.code, "%s", code ? code : "");
    snprintf(codes->last.phone_code_hash, sizeof codes->last.phone_code_hash, "%s",
             hash ? hash : "");
    snprintf(codes->last.phone_number, sizeof codes->last.phone_number, "%s",
             number ? number : "");
    free(code);
    free(hash);
    free(number);
}

/* count = -1 when tg_testdc_codes_json failed or its output is not an array. */
static inline kept_codes testdc_codes(const tg_testdc *dc, const char *phone) {
    kept_codes codes;
    memset(&codes, 0, sizeof codes);
    char *json = NULL;
    if (tg_testdc_codes_json(dc, phone, &json) != TG_RESULT_OK || !json) {
        codes.count = -1;
        return codes;
    }
    codes.count = json_each_object(json, h_code_obj, &codes);
    tg_string_free(json);
    return codes;
}

/* A configuration for the test DC: DC `home` first (it is home), then, with `all`, every
 * other DC; the test DC's key is trusted. NULL on failure. */
static inline tg_config *testdc_config(const testdc_info *info, int home, bool all) {
    tg_config *config = NULL;
    if (tg_config_new(&config) != TG_RESULT_OK) return NULL;
    bool ok = tg_config_add_rsa_key(config, info->rsa_public_key) == TG_RESULT_OK;
    int port = testdc_port(info, home);
    ok = ok && port > 0 && tg_config_add_dc(config, home, "127.0.0.1", (uint16_t)port) == TG_RESULT_OK;
    for (int i = 0; ok && all && i < info->ndcs; i++) {
        if (info->dc_id[i] == home) continue;
        ok = tg_config_add_dc(config, info->dc_id[i], info->host[i], (uint16_t)info->port[i]) ==
             TG_RESULT_OK;
    }
    if (!ok) {
        h_fail(__FILE__, __LINE__, "could not configure a client for the test DC");
        tg_config_free(config);
        return NULL;
    }
    return config;
}

/* A client from a configuration (which is freed). NULL on failure. */
static inline tg_client *client_from(tg_config *config) {
    if (!config) return NULL;
    tg_client *client = NULL;
    tg_result r = tg_client_new(config, &client);
    tg_config_free(config);
    if (r != TG_RESULT_OK || !client) {
        h_fail(__FILE__, __LINE__, "tg_client_new = %s", tg_result_str(r));
        return NULL;
    }
    return client;
}

/* ------------------------------------------------------------------------------------ */
/* A TCP listener that accepts connections and never answers                             */

#define H_SILENT_MAX_CONNS 256

typedef struct silent_listener {
    int fd;
    uint16_t port;
    atomic_bool stop;
    atomic_int accepted;
    int conns[H_SILENT_MAX_CONNS];
    int nconns;
    pthread_t thread;
} silent_listener;

static inline void *h_silent_loop(void *arg) {
    silent_listener *l = arg;
    char buf[4096];
    while (!atomic_load(&l->stop)) {
        struct pollfd fds[1 + H_SILENT_MAX_CONNS];
        fds[0].fd = l->fd;
        fds[0].events = POLLIN;
        for (int i = 0; i < l->nconns; i++) {
            fds[1 + i].fd = l->conns[i];
            fds[1 + i].events = POLLIN;
        }
        int polled = l->nconns;
        if (poll(fds, (nfds_t)(1 + polled), 20) <= 0) continue;
        /* Read and discard what clients send, so their writes never block; forget closed
         * connections. */
        int kept = 0;
        for (int i = 0; i < polled; i++) {
            int fd = l->conns[i];
            if (fds[1 + i].revents & (POLLIN | POLLHUP | POLLERR)) {
                ssize_t got = read(fd, buf, sizeof buf);
                if (got <= 0) {
                    close(fd);
                    continue;
                }
            }
            l->conns[kept++] = fd;
        }
        l->nconns = kept;
        if ((fds[0].revents & POLLIN) && l->nconns < H_SILENT_MAX_CONNS) {
            int c = accept(l->fd, NULL, NULL);
            if (c >= 0) {
                l->conns[l->nconns++] = c;
                atomic_fetch_add(&l->accepted, 1);
            }
        }
    }
    return NULL;
}

/* Starts listening on 127.0.0.1:<free port>. */
static inline bool silent_start(silent_listener *l) {
    memset(l, 0, sizeof *l);
    l->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (l->fd < 0) return false;
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (bind(l->fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(l->fd, 128) != 0 ||
        getsockname(l->fd, (struct sockaddr *)&addr, &len) != 0) {
        close(l->fd);
        return false;
    }
    l->port = ntohs(addr.sin_port);
    if (pthread_create(&l->thread, NULL, h_silent_loop, l) != 0) {
        close(l->fd);
        return false;
    }
    return true;
}

static inline void silent_stop(silent_listener *l) {
    atomic_store(&l->stop, true);
    pthread_join(l->thread, NULL);
    for (int i = 0; i < l->nconns; i++) close(l->conns[i]);
    close(l->fd);
}

/* A client whose only DC (home, id 1) is the silent listener, with `timeout_ms`. */
static inline tg_client *silent_client(const silent_listener *l, uint32_t timeout_ms) {
    tg_config *config = NULL;
    if (tg_config_new(&config) != TG_RESULT_OK) return NULL;
    if (tg_config_add_dc(config, 1, "127.0.0.1", l->port) != TG_RESULT_OK ||
        tg_config_set_timeout_ms(config, timeout_ms) != TG_RESULT_OK) {
        tg_config_free(config);
        return NULL;
    }
    return client_from(config);
}

/* ------------------------------------------------------------------------------------ */
/* Counting callbacks of many requests                                                   */

/* One slot per request; the callback's user_data points at a slot. */
typedef struct h_slot {
    atomic_int calls;
    atomic_int result; /* tg_result of the (last) call */
    struct h_counter *counter;
} h_slot;

typedef struct h_counter {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int total; /* callbacks so far, all slots */
} h_counter;

static inline void h_counter_init(h_counter *c) {
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->cond, NULL);
    c->total = 0;
}

static inline void h_counter_destroy(h_counter *c) {
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->cond);
}

static inline void h_slot_callback(void *user_data, const tg_sent_code *sent,
                                   const tg_error *error) {
    h_slot *slot = user_data;
    if ((sent == NULL) == (error == NULL)) {
        h_fail(__FILE__, __LINE__, "callback with sent_code=%p error=%p", (const void *)sent,
               (const void *)error);
    }
    atomic_store(&slot->result, (int)(error ? error->result : TG_RESULT_OK));
    if (error && (!error->name || !error->message))
        h_fail(__FILE__, __LINE__, "tg_error with a NULL name or message");
    if (sent && !sent->phone_code_hash)
        h_fail(__FILE__, __LINE__, "tg_sent_code with a NULL phone_code_hash");
    atomic_fetch_add(&slot->calls, 1);
    h_counter *c = slot->counter;
    pthread_mutex_lock(&c->lock);
    c->total++;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
}

/* Waits until at least `n` callbacks ran, up to wait_ms; returns the count seen. */
static inline int h_counter_wait(h_counter *c, int n, long wait_ms) {
    double deadline = h_now() + (double)wait_ms / 1000.0;
    pthread_mutex_lock(&c->lock);
    while (c->total < n) {
        double left = deadline - h_now();
        if (left <= 0) break;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        long long ns = (long long)ts.tv_nsec + (long long)(left > 0.05 ? 0.05e9 : left * 1e9);
        ts.tv_sec += (time_t)(ns / 1000000000LL);
        ts.tv_nsec = (long)(ns % 1000000000LL);
        pthread_cond_timedwait(&c->cond, &c->lock, &ts);
    }
    int total = c->total;
    pthread_mutex_unlock(&c->lock);
    return total;
}

#endif /* TGAUTH_TEST_HARNESS_H */
