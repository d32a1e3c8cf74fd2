/*
 * The C ABI's side of `make bench`: the warm run of benches/load.rs through tgauth.h.
 *
 *   cc -O2 -Iinclude tools/bench/ffi_load.c target/release/libtgauth.a -lpthread -ldl -lm
 *   ./ffi_load HOST PORT API_ID API_HASH PEM_FILE TESTDC_PID DURATION_S LEVELS OUT.json
 *
 * One client with a live key (DC 2 of the test DC is home); for each level N in LEVELS
 * (comma-separated), the main thread keeps N tg_send_code calls in flight for 0.5 s of
 * warm-up plus DURATION_S measured seconds. Each callback (on a library thread) records its
 * latency and wakes the main thread, which issues the next call: the cost of the C ABI,
 * of copying the arguments and the result, and of the hand-off between threads is all in.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "tgauth.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_self(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

/* utime + stime of another process, from /proc/PID/stat. */
static double cpu_pid(long pid) {
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return 0.0 / 0.0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    if (!p) return 0.0 / 0.0;
    /* From field 3 (state): ppid pgrp session tty_nr tpgid flags minflt cminflt majflt
     * cmajflt, then utime (14) and stime (15). */
    unsigned long long utime = 0, stime = 0;
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
               &stime) != 2)
        return 0.0 / 0.0;
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

struct level {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int inflight;
    double window_start, window_end;
    double *lat;
    size_t n_lat, cap_lat;
    unsigned long errors;
    char last_error[256];
};

struct request {
    struct level *level;
    double t0;
};

static void on_sent(void *user_data, const tg_sent_code *sent, const tg_error *error) {
    struct request *req = user_data;
    struct level *lv = req->level;
    double t1 = now_s();
    pthread_mutex_lock(&lv->lock);
    if (!sent) {
        lv->errors++;
        snprintf(lv->last_error, sizeof lv->last_error, "%s: %s", tg_result_str(error->result),
                 error->message);
    } else if (t1 >= lv->window_start && t1 <= lv->window_end) {
        if (lv->n_lat == lv->cap_lat) {
            lv->cap_lat = lv->cap_lat ? lv->cap_lat * 2 : 65536;
            lv->lat = realloc(lv->lat, lv->cap_lat * sizeof *lv->lat);
            if (!lv->lat) abort();
        }
        lv->lat[lv->n_lat++] = t1 - req->t0;
    }
    lv->inflight--;
    pthread_cond_signal(&lv->cond);
    pthread_mutex_unlock(&lv->lock);
    free(req);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double rank(const double *v, size_t n, double p) {
    size_t r = (size_t)(p * (double)n + 0.999999999);
    if (r < 1) r = 1;
    if (r > n) r = n;
    return v[r - 1] * 1e3;
}

static int issue(tg_client *client, struct level *lv, const char *api_hash, int32_t api_id,
                 unsigned *serial) {
    char phone[32];
    snprintf(phone, sizeof phone, "+999662%04u", (*serial)++ % 10000);
    struct request *req = malloc(sizeof *req);
    if (!req) abort();
    req->level = lv;
    req->t0 = now_s();
    tg_result r = tg_send_code(client, phone, api_id, api_hash, NULL, on_sent, req, NULL);
    if (r != TG_RESULT_OK) {
        free(req);
        fprintf(stderr, "ffi_load: tg_send_code refused: %s\n", tg_result_str(r));
        return -1;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 10) {
        fprintf(stderr,
                "usage: %s HOST PORT API_ID API_HASH PEM_FILE TESTDC_PID DURATION_S LEVELS OUT\n",
                argv[0]);
        return 2;
    }
    const char *host = argv[1], *api_hash = argv[4], *levels = argv[8], *out_path = argv[9];
    uint16_t port = (uint16_t)atoi(argv[2]);
    int32_t api_id = atoi(argv[3]);
    long pid = atol(argv[6]);
    double duration = atof(argv[7]);

    static char pem[8192];
    FILE *pf = fopen(argv[5], "r");
    if (!pf) {
        perror(argv[5]);
        return 1;
    }
    pem[fread(pem, 1, sizeof pem - 1, pf)] = '\0';
    fclose(pf);

    tg_config *config = NULL;
    tg_client *client = NULL;
    if (tg_config_new(&config) != TG_RESULT_OK || tg_config_add_dc(config, 2, host, port) ||
        tg_config_add_rsa_key(config, pem) || tg_config_set_timeout_ms(config, 30000) ||
        tg_client_new(config, &client) != TG_RESULT_OK) {
        fprintf(stderr, "ffi_load: cannot set up the client\n");
        return 1;
    }
    tg_config_free(config);

    unsigned serial = 0;
    FILE *out = fopen(out_path, "w");
    if (!out) {
        perror(out_path);
        return 1;
    }
    fprintf(out, "{\"mode\":\"warm\",\"api\":\"c\",\"transport\":\"intermediate\",\"levels\":[");

    /* The first call makes the key and sends initConnection: not measured. */
    struct level first;
    memset(&first, 0, sizeof first);
    pthread_mutex_init(&first.lock, NULL);
    pthread_cond_init(&first.cond, NULL);
    first.inflight = 1;
    if (issue(client, &first, api_hash, api_id, &serial)) return 1;
    pthread_mutex_lock(&first.lock);
    while (first.inflight > 0) pthread_cond_wait(&first.cond, &first.lock);
    pthread_mutex_unlock(&first.lock);
    if (first.errors) {
        fprintf(stderr, "ffi_load: first call failed: %s\n", first.last_error);
        return 1;
    }

    char *levels_copy = strdup(levels), *save = NULL;
    int first_level = 1;
    for (char *tok = strtok_r(levels_copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int target = atoi(tok);
        struct level lv;
        memset(&lv, 0, sizeof lv);
        pthread_mutex_init(&lv.lock, NULL);
        pthread_cond_init(&lv.cond, NULL);
        double start = now_s();
        lv.window_start = start + 0.5;
        lv.window_end = lv.window_start + duration;
        double c0 = 0, s0 = 0, c1 = 0, s1 = 0;
        int sampled0 = 0;
        pthread_mutex_lock(&lv.lock);
        for (;;) {
            while (lv.inflight >= target) pthread_cond_wait(&lv.cond, &lv.lock);
            double t = now_s();
            if (!sampled0 && t >= lv.window_start) {
                c0 = cpu_self();
                s0 = cpu_pid(pid);
                sampled0 = 1;
            }
            if (t >= lv.window_end) break;
            lv.inflight++;
            pthread_mutex_unlock(&lv.lock);
            if (issue(client, &lv, api_hash, api_id, &serial)) return 1;
            pthread_mutex_lock(&lv.lock);
        }
        c1 = cpu_self();
        s1 = cpu_pid(pid);
        while (lv.inflight > 0) pthread_cond_wait(&lv.cond, &lv.lock);
        pthread_mutex_unlock(&lv.lock);
        if (lv.errors) fprintf(stderr, "ffi_load: %lu errors, last: %s\n", lv.errors, lv.last_error);

        qsort(lv.lat, lv.n_lat, sizeof *lv.lat, cmp_double);
        double sum = 0;
        for (size_t i = 0; i < lv.n_lat; i++) sum += lv.lat[i];
        double done = (double)lv.n_lat;
        fprintf(out,
                "%s{\"inflight\":%d,\"duration_s\":%g,\"completed\":%zu,\"errors\":%lu,"
                "\"throughput_rps\":%.3f,\"latency\":{\"n\":%zu,\"min_ms\":%.6f,\"p50_ms\":%.6f,"
                "\"p90_ms\":%.6f,\"p99_ms\":%.6f,\"max_ms\":%.6f,\"mean_ms\":%.6f},"
                "\"client_cpu_us_per_req\":%.3f,\"testdc_cpu_us_per_req\":%.3f,"
                "\"client_cpu_util\":%.4f,\"testdc_cpu_util\":%.4f}",
                first_level ? "" : ",", target, duration, lv.n_lat, lv.errors, done / duration,
                lv.n_lat, lv.n_lat ? lv.lat[0] * 1e3 : 0, rank(lv.lat, lv.n_lat, 0.5),
                rank(lv.lat, lv.n_lat, 0.9), rank(lv.lat, lv.n_lat, 0.99),
                lv.n_lat ? lv.lat[lv.n_lat - 1] * 1e3 : 0, lv.n_lat ? sum / done * 1e3 : 0,
                (c1 - c0) / done * 1e6, (s1 - s0) / done * 1e6, (c1 - c0) / duration,
                (s1 - s0) / duration);
        fprintf(stderr, "ffi_load: %d in flight: %.0f req/s, p50 %.3f ms, p99 %.3f ms\n", target,
                done / duration, rank(lv.lat, lv.n_lat, 0.5), rank(lv.lat, lv.n_lat, 0.99));
        first_level = 0;
        free(lv.lat);
    }
    fprintf(out, "]}\n");
    fclose(out);
    free(levels_copy);
    tg_client_free(client);
    return 0;
}
