/* What floe-viewer shares with the guest's agent from its command line:
 * --clipboard-set (text offered on the clipboard), --clipboard-out (the
 * guest's clipboard text written to a file each time it comes) and
 * --send-file (a file sent once the agent is ready, its progress printed). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "programs/floe-viewer/viewer.h"

static const char *const state_name[] = { "waiting", "sending", "done", "failed" };

/* Writes the guest's clipboard to path through a temporary name, so that
 * a reader never sees it half written. */
static void write_clipboard(const char *path, const void *data, size_t len)
{
    char tmp[4096];
    FILE *f;

    snprintf(tmp, sizeof(tmp), "%s.part", path);
    f = fopen(tmp, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0 || rename(tmp, path) != 0) {
        fprintf(stderr, "floe-viewer: cannot write the guest's clipboard to %s: %s\n", path,
                strerror(errno));
        return;
    }
    fprintf(stderr, "floe-viewer: the guest's clipboard (%zu bytes) written to %s\n", len, path);
}

int viewer_share_step(struct viewer_share *s, struct floe_client *c, int64_t now)
{
    struct floe_client_file_xfer st;
    int rc;

    if (s->clip_set && !s->offered) {
        rc = floe_client_clipboard_offer(c, 0, FLOE_CLIENT_CLIP_TEXT, s->clip_set,
                                         strlen(s->clip_set));
        if (rc < 0)
            fprintf(stderr, "floe-viewer: --clipboard-set: %s\n", strerror(-rc));
        s->offered = 1;
    }
    if (s->clip_out) {
        void *data;
        size_t len;
        uint64_t serial;
        int type;

        if (floe_client_clipboard_get(c, 0, &type, &data, &len, &serial) == 0) {
            if (serial != s->clip_serial && type == FLOE_CLIENT_CLIP_TEXT) {
                write_clipboard(s->clip_out, data, len);
                s->clip_serial = serial;
            }
            free(data);
        }
    }
    if (!s->send_file || s->file_ended)
        return -1;
    if (!s->file_id) {
        if (!floe_client_agent_ready(c))
            return 100;
        rc = floe_client_file_send(c, s->send_file);
        if (rc < 0) {
            printf("file_xfer name=%s state=failed error=\"%s\"\n", s->send_file,
                   rc == -ENOTSUP ? "the guest's agent takes no files" : strerror(-rc));
            fflush(stdout);
            s->file_ended = -1;
            return -1;
        }
        s->file_id = (uint32_t)rc;
    }
    if (floe_client_file_status(c, s->file_id, &st) < 0)
        return 100;
    /* a line at each change of state, and twice a second while sending */
    if ((int)st.state != s->last_state || (st.sent != s->last_sent && now - s->last_print >= 500)) {
        printf("file_xfer name=%s sent=%llu size=%llu state=%s", st.name,
               (unsigned long long)st.sent, (unsigned long long)st.size, state_name[st.state]);
        if (st.state == FLOE_CLIENT_XFER_FAILED)
            printf(" error=\"%s\"", st.error);
        printf("\n");
        fflush(stdout);
        s->last_state = (int)st.state;
        s->last_sent = st.sent;
        s->last_print = now;
    }
    if (st.state == FLOE_CLIENT_XFER_DONE)
        s->file_ended = 1;
    else if (st.state == FLOE_CLIENT_XFER_FAILED)
        s->file_ended = -1;
    return s->file_ended ? -1 : 100;
}
