/*
 * kafka-mock: librdkafka's in-process mock cluster as a standalone daemon for tests.
 *
 *   kafka-mock PORT [TOPICS]
 *
 * TOPICS is "name[:partitions],..." (e.g. "t1:3,t2"; partitions default to 1), also read from the
 * KAFKA_TOPICS environment variable when the argument is missing. KAFKA_MOCK_BROKERS sets the number
 * of mock brokers (default 1).
 *
 * The mock brokers listen on ephemeral 127.0.0.1 ports (librdkafka has no way to choose them), so this
 * daemon listens on 127.0.0.1:PORT and relays every connection to the first mock broker. Clients use
 * PORT only to bootstrap: the metadata they get back names the mock brokers' own (loopback) ports.
 *
 * It is not a real Kafka: no SASL, no topic admin API that kafkajs can use, no persistence.
 * SIGTERM/SIGINT end it at once. Built by test/services/services.sh (gcc ... -lrdkafka -lpthread).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct sockaddr_in upstream;

static int write_all(int fd, const char *buf, ssize_t len) {
    while (len > 0) {
        ssize_t n = write(fd, buf, (size_t)len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        buf += n;
        len -= n;
    }
    return 0;
}

/* One thread per client connection: copy bytes both ways until either side closes. */
static void *relay(void *arg) {
    int client = (int)(intptr_t)arg;
    int server = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    if (server < 0 || connect(server, (struct sockaddr *)&upstream, sizeof upstream) < 0) {
        fprintf(stderr, "kafka-mock: connect to mock broker: %s\n", strerror(errno));
        if (server >= 0) close(server);
        close(client);
        return NULL;
    }
    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct pollfd fds[2] = {{.fd = client, .events = POLLIN}, {.fd = server, .events = POLLIN}};
    char buf[65536];
    for (;;) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        int done = 0;
        for (int i = 0; i < 2 && !done; i++) {
            if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t n = read(fds[i].fd, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0 || write_all(fds[1 - i].fd, buf, n) < 0) done = 1;
        }
        if (done) break;
    }
    close(client);
    close(server);
    return NULL;
}

static void *accept_loop(void *arg) {
    int lfd = (int)(intptr_t)arg;
    for (;;) {
        int c = accept(lfd, NULL, NULL);
        if (c < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            fprintf(stderr, "kafka-mock: accept: %s\n", strerror(errno));
            usleep(100000);
            continue;
        }
        pthread_t t;
        if (pthread_create(&t, NULL, relay, (void *)(intptr_t)c) != 0) {
            close(c);
            continue;
        }
        pthread_detach(t);
    }
    return NULL;
}

/* "t1:3,t2" -> rd_kafka_mock_topic_create for each. */
static int create_topics(rd_kafka_mock_cluster_t *mc, const char *spec, int replicas) {
    char *copy = strdup(spec), *save = NULL;
    int rc = 0;
    for (char *tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
        int partitions = 1;
        char *colon = strchr(tok, ':');
        if (colon) {
            *colon = '\0';
            partitions = atoi(colon + 1);
            if (partitions < 1) {
                fprintf(stderr, "kafka-mock: bad partition count for topic '%s'\n", tok);
                rc = -1;
                break;
            }
        }
        if (!*tok) continue;
        rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(mc, tok, partitions, replicas);
        if (err) {
            fprintf(stderr, "kafka-mock: create topic %s: %s\n", tok, rd_kafka_err2str(err));
            rc = -1;
            break;
        }
        printf("kafka-mock: topic %s (%d partitions)\n", tok, partitions);
    }
    free(copy);
    return rc;
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s PORT [TOPICS]\n", argv[0]);
        return 2;
    }
    int port = atoi(argv[1]);
    if (port < 1 || port > 65535) {
        fprintf(stderr, "kafka-mock: bad port '%s'\n", argv[1]);
        return 2;
    }
    const char *topics = argc > 2 ? argv[2] : getenv("KAFKA_TOPICS");
    const char *nb = getenv("KAFKA_MOCK_BROKERS");
    int brokers = nb && *nb ? atoi(nb) : 1;
    if (brokers < 1) brokers = 1;

    /* A shell starts background jobs with SIGINT ignored; an ignored signal never reaches sigwait. */
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGPIPE, SIG_IGN);
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL); /* inherited by every thread, librdkafka's too */

    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "4", errstr, sizeof errstr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!rk) {
        fprintf(stderr, "kafka-mock: rd_kafka_new: %s\n", errstr);
        return 1;
    }
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
    if (!mc) {
        fprintf(stderr, "kafka-mock: rd_kafka_mock_cluster_new failed\n");
        return 1;
    }
    if (topics && *topics && create_topics(mc, topics, brokers < 3 ? brokers : 3) < 0) return 1;

    const char *bootstraps = rd_kafka_mock_cluster_bootstraps(mc); /* "127.0.0.1:N[,127.0.0.1:M...]" */
    char first[128];
    snprintf(first, sizeof first, "%s", bootstraps);
    first[strcspn(first, ",")] = '\0';
    char *colon = strrchr(first, ':');
    if (!colon) {
        fprintf(stderr, "kafka-mock: unexpected bootstrap address '%s'\n", bootstraps);
        return 1;
    }
    *colon = '\0';
    memset(&upstream, 0, sizeof upstream);
    upstream.sin_family = AF_INET;
    upstream.sin_port = htons((unsigned short)atoi(colon + 1));
    if (inet_pton(AF_INET, first, &upstream.sin_addr) != 1) {
        fprintf(stderr, "kafka-mock: unexpected bootstrap host '%s'\n", first);
        return 1;
    }

    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(lfd, 128) < 0) {
        fprintf(stderr, "kafka-mock: listen on 127.0.0.1:%d: %s\n", port, strerror(errno));
        return 1;
    }
    pthread_t t;
    if (pthread_create(&t, NULL, accept_loop, (void *)(intptr_t)lfd) != 0) {
        fprintf(stderr, "kafka-mock: pthread_create failed\n");
        return 1;
    }
    printf("kafka-mock: ready on 127.0.0.1:%d, mock brokers %s\n", port, bootstraps);
    fflush(stdout);

    int sig = 0;
    sigwait(&stop, &sig);
    printf("kafka-mock: signal %d, exiting\n", sig);
    fflush(stdout);
    /* Everything lives in this process: nothing to flush or clean up, and the mock's own teardown can
     * wait on clients that are still connected. */
    _exit(0);
}
