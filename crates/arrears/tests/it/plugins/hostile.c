/*
 * A scorer and contact strategy that misbehaves as its configuration says (issue 15, the
 * misbehaviour matrix): "segv" dereferences null, "abort" aborts, "exit" calls exit(0),
 * "loop" never returns, "slow" sleeps 50 ms and answers, "alloc" allocates without bound,
 * "overrun" writes far past the host's output buffer, "garbage" answers NaN scores and
 * proposals on channel 99, "print" writes to standard output and answers. Anything else
 * (the empty configuration) behaves: every score 500, one email at 15:00 per request.
 * The configuration may start with "score:" or "propose:" to misbehave in that call only.
 *
 * More ways past the matrix (the review of plugins that misbehave in ways not tried before),
 * some with an argument after a space (a file name):
 *   "closefds" closes every descriptor from 0 to 1023 and answers;
 *   "scribble" writes garbage to every descriptor from 0 to 1023 and answers;
 *   "close-stdin" closes descriptor 0 (the runner's input) and answers; "steal-input" keeps
 *     the runner's input open on another descriptor, puts a pipe nobody writes in its place
 *     (dup2), and answers;
 *   "fork-segv FILE" forks a child that keeps every descriptor (the runner's pipes) and sleeps
 *     60 s, writes its pid to FILE, and dereferences null; "setsid-segv FILE" the same with a
 *     child that first moves to a session of its own (setsid);
 *   "stop" stops its own process (SIGSTOP) in the call; "stop-later" answers and stops the
 *     process 100 ms later, from a thread of its own;
 *   "crash-later" answers and dereferences null 100 ms later, from a thread of its own;
 *   "log-later" answers and keeps calling the host's log from a thread for 300 ms;
 *   "log-flood" logs 8 MiB in 1 KiB messages, a 1 MiB message, a message that is not UTF-8
 *     and one with a null pointer, then answers;
 *   "bad-error" fails with a message that is not UTF-8 and claims 5000 bytes; "escape-error"
 *     (and "init-escape", in init) fails with a message holding a terminal escape sequence, a
 *     carriage return and a newline;
 *   "edges" answers scores of exactly 0 (negative zero) and 1000 with four reason codes of
 *     exactly 60 bytes,
 *     and proposals whose template id is exactly 48 bytes; "edges-over" the same, one byte
 *     past each (61 and 49); "points-over" scores -0.001 and 1000.001;
 *   "sleep MS" sleeps MS milliseconds and answers (calls from several threads queue);
 *   "init-hang" never returns from init; "init-slow" takes 1 s in init; "init-null" returns
 *     OK from init without an instance;
 *   "destroy-hang" never returns from destroy; "destroy-segv" dereferences null in destroy;
 *   "nan-last" answers NaN for the last input of each call, 500 for the others;
 *   "signal-probe" answers 500 if and only if it may signal its own process and no other
 *     (kill with signal 0, which sends nothing, to its parent and to every process, and tgkill
 *     to its parent, each refused with EPERM; then it moves into its parent's process group
 *     and signals its group, refused too), else 1;
 *   "huge-frame" finds its runner's channel to the host (the pipe it writes frames to) and
 *     writes a frame announcing 200 MiB, then 200 MiB of garbage, then answers;
 *   "env-probe NAME" scores 0 if the variable NAME is not in its environment, else 1 plus the
 *     length of its value (at most 1000): whether a plugin sees its host's environment;
 *   "reason-attribute" returns as each input's reason code its first text attribute (cut at
 *     60 bytes; no code without one), so that a CSV column chooses the code;
 *   "stderr-flood" writes 4 MiB to its standard error in 4 KiB writes, then answers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "arrears_plugin.h"

static const char NAME[] = "hostile";
static const char VERSION[] = "0.0.1";

typedef struct {
  char mode[256];
  const char *arg;
  int in_score;
  int in_propose;
} hostile_t;

static const arrears_host_api_t *HOST;

static arrears_status_t escape_error(arrears_error_buffer_t *error, arrears_status_t status);

static void pause_ms(long ms) {
  struct timespec pause = {ms / 1000, (ms % 1000) * 1000 * 1000};
  nanosleep(&pause, NULL);
}

static void host_log(const char *text, size_t len) {
  if (HOST != NULL && HOST->log != NULL) {
    arrears_str_t message = {(const uint8_t *)text, len};
    HOST->log(ARREARS_LOG_WARN, message);
  }
}

static void *stop_later(void *unused) {
  (void)unused;
  pause_ms(100);
  kill(getpid(), SIGSTOP);
  return NULL;
}

static void *crash_later(void *unused) {
  (void)unused;
  pause_ms(100);
  volatile int *nothing = NULL;
  *nothing = 1;
  return NULL;
}

static void *log_later(void *unused) {
  (void)unused;
  for (int i = 0; i < 300; i++) {
    host_log("logging after the call returned", 31);
    pause_ms(1);
  }
  return NULL;
}

static void detach(void *(*run)(void *)) {
  pthread_t thread;
  if (pthread_create(&thread, NULL, run, NULL) == 0) pthread_detach(thread);
}

/* Forks a child that keeps the runner's descriptors for a minute (in a session of its own if
   `own_session`), writes its pid to `file`, then crashes. */
static void fork_and_crash(const char *file, int own_session) {
  pid_t child = fork();
  if (child == 0) {
    if (own_session) setsid();
    for (int i = 0; i < 600; i++) pause_ms(100);
    _exit(0);
  }
  FILE *out = file != NULL ? fopen(file, "w") : NULL;
  if (out != NULL) {
    fprintf(out, "%d\n", (int)child);
    fclose(out);
  }
  volatile int *nothing = NULL;
  *nothing = 1;
}

static void log_flood(void) {
  static char block[1 << 20];
  memset(block, 'x', sizeof block);
  for (int i = 0; i < 8 * 1024; i++) host_log(block, 1024);
  host_log(block, sizeof block);
  host_log("\xff\xfe not UTF-8", 15);
  if (HOST != NULL && HOST->log != NULL) {
    arrears_str_t null_text = {NULL, 12};
    HOST->log(ARREARS_LOG_ERROR, null_text);
  }
}

static arrears_status_t h_init(const arrears_host_api_t *host, arrears_str_t config,
                               void **instance_out, arrears_error_buffer_t *error) {
  (void)error;
  HOST = host;
  hostile_t *self = calloc(1, sizeof *self);
  if (self == NULL) return ARREARS_STATUS_INTERNAL;
  size_t len = config.len_bytes < sizeof self->mode - 1 ? config.len_bytes : sizeof self->mode - 1;
  memcpy(self->mode, config.ptr, len);
  while (len > 0 && (self->mode[len - 1] == '\n' || self->mode[len - 1] == ' ')) self->mode[--len] = 0;
  self->in_score = 1;
  self->in_propose = 1;
  if (strncmp(self->mode, "score:", 6) == 0) {
    memmove(self->mode, self->mode + 6, strlen(self->mode + 6) + 1);
    self->in_propose = 0;
  } else if (strncmp(self->mode, "propose:", 8) == 0) {
    memmove(self->mode, self->mode + 8, strlen(self->mode + 8) + 1);
    self->in_score = 0;
  }
  char *space = strchr(self->mode, ' ');
  if (space != NULL) {
    *space = 0;
    self->arg = space + 1;
  }
  if (strcmp(self->mode, "init-hang") == 0) {
    for (;;) pause_ms(1000);
  } else if (strcmp(self->mode, "init-slow") == 0) {
    pause_ms(1000);
  } else if (strcmp(self->mode, "init-null") == 0) {
    free(self);
    *instance_out = NULL;
    return ARREARS_STATUS_OK;
  } else if (strcmp(self->mode, "init-escape") == 0) {
    free(self);
    return escape_error(error, ARREARS_STATUS_INVALID_CONFIG);
  }
  *instance_out = self;
  return ARREARS_STATUS_OK;
}

static void h_destroy(void *instance) {
  hostile_t *self = instance;
  if (strcmp(self->mode, "destroy-hang") == 0) {
    for (;;) pause_ms(1000);
  } else if (strcmp(self->mode, "destroy-segv") == 0) {
    volatile int *nothing = NULL;
    *nothing = 1;
  }
  free(instance);
}

/* "huge-frame": on every pipe the runner writes to past its standard error (its channel to
   the host), a frame header announcing 200 MiB, then that many bytes of garbage. */
static void huge_frame(void) {
  static char block[1 << 20];
  memset(block, 0xff, sizeof block);
  const uint32_t len = 200u << 20;
  const unsigned char header[4] = {len & 0xff, (len >> 8) & 0xff, (len >> 16) & 0xff, len >> 24};
  for (int fd = 3; fd < 1024; fd++) {
    struct stat status;
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || (flags & O_ACCMODE) != O_WRONLY || fstat(fd, &status) != 0 ||
        !S_ISFIFO(status.st_mode))
      continue;
    if (write(fd, header, sizeof header) != (ssize_t)sizeof header) continue;
    for (uint32_t sent = 0; sent < len; sent += sizeof block) {
      if (write(fd, block, sizeof block) != (ssize_t)sizeof block) break;
    }
  }
}

/* The misbehaviours that do not answer (or answer only after a while). */
static void misbehave(const hostile_t *self, void *outputs, size_t output_bytes) {
  const char *mode = self->mode;
  if (strcmp(mode, "segv") == 0) {
    volatile int *nothing = NULL;
    *nothing = 1;
  } else if (strcmp(mode, "abort") == 0) {
    abort();
  } else if (strcmp(mode, "exit") == 0) {
    exit(0);
  } else if (strcmp(mode, "loop") == 0) {
    for (volatile unsigned long spin = 0;; spin++) {
    }
  } else if (strcmp(mode, "slow") == 0) {
    struct timespec pause = {0, 50 * 1000 * 1000};
    nanosleep(&pause, NULL);
  } else if (strcmp(mode, "sleep") == 0) {
    pause_ms(self->arg != NULL ? atol(self->arg) : 0);
  } else if (strcmp(mode, "alloc") == 0) {
    for (;;) {
      char *block = malloc(64 << 20);
      /* Unchecked, as careless code is: past the limit this writes through null. */
      memset(block, 1, 64 << 20);
    }
  } else if (strcmp(mode, "overrun") == 0) {
    /* Far past the end of the host's buffer, until something unmapped stops it. */
    memset(outputs, 0x41, output_bytes + ((size_t)1 << 32));
  } else if (strcmp(mode, "print") == 0) {
    printf("hello from the plugin\n");
    fflush(stdout);
  } else if (strcmp(mode, "closefds") == 0) {
    for (int fd = 0; fd < 1024; fd++) close(fd);
  } else if (strcmp(mode, "scribble") == 0) {
    static const char garbage[] = "\x10\x00\x00\x00garbage garbage garbage";
    for (int fd = 0; fd < 1024; fd++) {
      ssize_t written = write(fd, garbage, sizeof garbage - 1);
      (void)written;
    }
  } else if (strcmp(mode, "close-stdin") == 0) {
    close(0);
  } else if (strcmp(mode, "steal-input") == 0) {
    /* The runner's input kept open (never read) and replaced by a pipe nobody writes. */
    int kept = dup(0), empty[2];
    if (kept >= 0 && pipe(empty) == 0) dup2(empty[0], 0);
  } else if (strcmp(mode, "fork-segv") == 0) {
    fork_and_crash(self->arg, 0);
  } else if (strcmp(mode, "setsid-segv") == 0) {
    fork_and_crash(self->arg, 1);
  } else if (strcmp(mode, "stop") == 0) {
    kill(getpid(), SIGSTOP);
  } else if (strcmp(mode, "stop-later") == 0) {
    detach(stop_later);
  } else if (strcmp(mode, "crash-later") == 0) {
    detach(crash_later);
  } else if (strcmp(mode, "log-later") == 0) {
    detach(log_later);
  } else if (strcmp(mode, "log-flood") == 0) {
    log_flood();
  } else if (strcmp(mode, "huge-frame") == 0) {
    huge_frame();
  } else if (strcmp(mode, "stderr-flood") == 0) {
    static char block[4096];
    memset(block, 'e', sizeof block);
    block[sizeof block - 1] = '\n';
    for (int i = 0; i < 1024; i++) {
      if (write(2, block, sizeof block) < 0 && errno != EINTR) break;
    }
  }
}

/* "env-probe NAME": 0 if NAME is not in the environment, else 1 plus its value's length. */
static double env_probe(const char *name) {
  const char *value = name != NULL ? getenv(name) : NULL;
  if (value == NULL) return 0.0;
  size_t len = strlen(value);
  return len < 999 ? 1.0 + (double)len : 1000.0;
}

/* "reason-attribute": the input's first text attribute as its only reason code. */
static void reason_from_attribute(const arrears_score_input_t *input,
                                  arrears_score_output_t *output) {
  for (size_t a = 0; a < input->attribute_count; a++) {
    const arrears_attribute_t *attribute = &input->attributes[a];
    if (attribute->kind != ARREARS_ATTRIBUTE_TEXT) continue;
    size_t len = attribute->text.len_bytes < ARREARS_REASON_CODE_BYTES_MAX
                     ? attribute->text.len_bytes
                     : ARREARS_REASON_CODE_BYTES_MAX;
    memcpy(output->reasons[0].bytes, attribute->text.ptr, len);
    output->reasons[0].len_bytes = (uint32_t)len;
    output->reason_count = 1;
    return;
  }
}

/* "signal-probe": true if and only if signalling any process but its own is refused. */
static int signals_only_itself(void) {
  pid_t parent = getppid();
  int parent_refused = kill(parent, 0) == -1 && errno == EPERM;
  int everyone_refused = kill(-1, 0) == -1 && errno == EPERM;
  int thread_refused = syscall(SYS_tgkill, parent, parent, 0) == -1 && errno == EPERM;
  int itself_allowed = kill(getpid(), 0) == 0;
  /* Moved into the host's process group, the group is still out of reach. */
  int moved = setpgid(0, getpgid(parent)) == 0;
  int group_refused = kill(0, 0) == -1 && errno == EPERM;
  return parent_refused && everyone_refused && thread_refused && itself_allowed && moved &&
         group_refused;
}

/* "escape-error", "init-escape": a message that would rewrite the lines around it on a
   terminal (an escape sequence erasing the line, a carriage return) and forge another line
   of the cycle's report. */
static arrears_status_t escape_error(arrears_error_buffer_t *error, arrears_status_t status) {
  static const char message[] = "\x1b[2K\r  arm champion: all fine\n";
  size_t len = sizeof message - 1 < error->capacity_bytes ? sizeof message - 1 : error->capacity_bytes;
  memcpy(error->ptr, message, len);
  error->len_bytes = len;
  return status;
}

/* "bad-error": a message that is not UTF-8, claiming more than the buffer holds. */
static arrears_status_t bad_error(arrears_error_buffer_t *error) {
  size_t len = error->capacity_bytes < 8 ? error->capacity_bytes : 8;
  memcpy(error->ptr, "\xff\xfe\xfd oops", len);
  error->len_bytes = 5000;
  return ARREARS_STATUS_INTERNAL;
}

static arrears_status_t h_score(void *instance, const arrears_score_input_t *inputs,
                                size_t input_stride_bytes, size_t input_count,
                                arrears_score_output_t *outputs, size_t output_stride_bytes,
                                size_t *output_count_out, arrears_error_buffer_t *error) {
  hostile_t *self = instance;
  if (self->in_score) misbehave(self, outputs, input_count * output_stride_bytes);
  if (self->in_score && strcmp(self->mode, "bad-error") == 0) return bad_error(error);
  if (self->in_score && strcmp(self->mode, "escape-error") == 0)
    return escape_error(error, ARREARS_STATUS_INTERNAL);
  int garbage = self->in_score && strcmp(self->mode, "garbage") == 0;
  int edges = self->in_score && strcmp(self->mode, "edges") == 0;
  int over = self->in_score && strcmp(self->mode, "edges-over") == 0;
  int points_over = self->in_score && strcmp(self->mode, "points-over") == 0;
  int nan_last = self->in_score && strcmp(self->mode, "nan-last") == 0;
  int env = self->in_score && strcmp(self->mode, "env-probe") == 0;
  int reason_attribute = self->in_score && strcmp(self->mode, "reason-attribute") == 0;
  for (size_t i = 0; i < input_count; i++) {
    arrears_score_output_t *output =
        (arrears_score_output_t *)((char *)outputs + i * output_stride_bytes);
    const arrears_score_input_t *input =
        (const arrears_score_input_t *)((const char *)inputs + i * input_stride_bytes);
    output->points = garbage || (nan_last && i + 1 == input_count) ? NAN : 500.0;
    if (self->in_score && strcmp(self->mode, "signal-probe") == 0)
      output->points = signals_only_itself() ? 500.0 : 1.0;
    if (points_over) output->points = i % 2 == 0 ? -0.001 : 1000.001;
    if (env) output->points = env_probe(self->arg);
    if (reason_attribute) reason_from_attribute(input, output);
    if (edges || over) {
      /* Negative zero: within the range by comparison, but it must not be printed "-0". */
      output->points = i % 2 == 0 ? -0.0 : 1000.0;
      output->reason_count = ARREARS_REASONS_MAX;
      for (size_t r = 0; r < ARREARS_REASONS_MAX; r++) {
        memset(output->reasons[r].bytes, 'a' + (int)r, ARREARS_REASON_CODE_BYTES_MAX);
        output->reasons[r].len_bytes = ARREARS_REASON_CODE_BYTES_MAX + (over ? 1 : 0);
      }
    }
  }
  *output_count_out = input_count;
  return ARREARS_STATUS_OK;
}

static arrears_status_t h_propose(void *instance, const arrears_contact_request_input_t *requests,
                                  size_t request_stride_bytes, size_t request_count,
                                  arrears_contact_proposal_output_t *outputs,
                                  size_t output_stride_bytes, size_t output_capacity,
                                  size_t *output_count_out, arrears_error_buffer_t *error) {
  hostile_t *self = instance;
  if (self->in_propose) misbehave(self, outputs, output_capacity * output_stride_bytes);
  if (self->in_propose && strcmp(self->mode, "bad-error") == 0) return bad_error(error);
  if (self->in_propose && strcmp(self->mode, "escape-error") == 0)
    return escape_error(error, ARREARS_STATUS_INTERNAL);
  int garbage = self->in_propose && strcmp(self->mode, "garbage") == 0;
  int edges = self->in_propose && strcmp(self->mode, "edges") == 0;
  int over = self->in_propose && strcmp(self->mode, "edges-over") == 0;
  size_t written = 0;
  for (size_t i = 0; i < request_count && written < output_capacity; i++) {
    const arrears_contact_request_input_t *request =
        (const arrears_contact_request_input_t *)((const char *)requests +
                                                  i * request_stride_bytes);
    size_t point = request->contact_point_count;
    for (size_t p = 0; p < request->contact_point_count; p++) {
      if (request->contact_points[p].channel == ARREARS_CHANNEL_EMAIL &&
          request->contact_points[p].consent && !request->contact_points[p].opted_out) {
        point = p;
        break;
      }
    }
    if (point == request->contact_point_count || request->step_count == 0) continue;
    arrears_contact_proposal_output_t *output =
        (arrears_contact_proposal_output_t *)((char *)outputs + written * output_stride_bytes);
    output->request_index = (uint32_t)i;
    output->contact_point_index = (uint32_t)point;
    output->channel = garbage ? 99 : ARREARS_CHANNEL_EMAIL;
    output->at_unix_us = ((int64_t)request->as_of_days * 86400 + 15 * 3600) * 1000000;
    size_t len = request->steps[0].template_id.len_bytes;
    if (len > sizeof output->template_id) len = sizeof output->template_id;
    memcpy(output->template_id, request->steps[0].template_id.ptr, len);
    output->template_len_bytes = (uint32_t)len;
    if (edges || over) {
      memset(output->template_id, 't', sizeof output->template_id);
      output->template_len_bytes = ARREARS_TEMPLATE_BYTES_MAX + (over ? 1 : 0);
    }
    written += 1;
  }
  *output_count_out = written;
  return ARREARS_STATUS_OK;
}

static const arrears_plugin_descriptor_t DESCRIPTOR = {
    .magic = ARREARS_MAGIC,
    .struct_size = sizeof(arrears_plugin_descriptor_t),
    .abi_major = ARREARS_ABI_VERSION_MAJOR,
    .abi_minor = ARREARS_ABI_VERSION_MINOR,
    .capabilities = ARREARS_CAPABILITY_SCORER | ARREARS_CAPABILITY_CONTACT_STRATEGY,
    .name = {(const uint8_t *)NAME, sizeof NAME - 1},
    .version = {(const uint8_t *)VERSION, sizeof VERSION - 1},
    .build_fingerprint = {(const uint8_t *)NAME, sizeof NAME - 1},
    .init = h_init,
    .destroy = h_destroy,
    .score_batch = h_score,
    .propose_contacts_batch = h_propose,
};

const arrears_plugin_descriptor_t *arrears_plugin_entry_v1(void) { return &DESCRIPTOR; }
