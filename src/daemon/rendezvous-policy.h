/* rendezvous-policy.h — the rendezvous client's decisions, without I/O
 * (docs/rendezvous.md, "The daemon's client"): how long to wait after a
 * failure (exponential backoff with full jitter, capped, with a floor so
 * that there is never a tight loop; a 429's Retry-After obeyed), which
 * of our addresses a server we do not control may learn, and when a
 * peer is looked up. Time is in milliseconds, passed in by the caller;
 * randomness comes from a function the caller passes (libsodium in the
 * daemon, a seeded one in tests). */
#pragma once

#include <glib.h>

#include "announcement.h"
#include "configuration.h"
#include "keys.h"

/* The least wait between two attempts, whatever the jitter draws. */
#define WGD_RDV_BACKOFF_FLOOR_MS 1000
/* The first failure's ceiling; doubled per failure up to the cap. */
#define WGD_RDV_BACKOFF_BASE_MS 2000
#define WGD_RDV_BACKOFF_CAP_MS (5 * 60 * 1000)
/* A Retry-After beyond this is taken as this. */
#define WGD_RDV_RETRY_AFTER_MAX_S 3600
/* How long mDNS gets to find a peer before Rendezvous=fallback asks. */
#define WGD_RDV_LAN_GRACE_MS 5000
/* How often a peer not found on the LAN is looked up again. */
#define WGD_RDV_LOOKUP_INTERVAL_MS (60 * 1000)
/* At most this many peers are scheduled. */
#define WGD_RDV_LOOKUPS_MAX 1024

/* A uniform random number in [0, upper). */
typedef guint32 (*WgdRdvRandomFunc) (guint32 upper, gpointer user_data);

typedef struct {
  guint failures;
} WgdRdvBackoff;

/* The wait before the next attempt after one more failure: the floor
 * plus a uniform draw in [0, min(cap, base * 2^(failures - 1))]. */
guint64 wgd_rdv_backoff_next (WgdRdvBackoff *backoff, WgdRdvRandomFunc random,
                              gpointer user_data);
void wgd_rdv_backoff_reset (WgdRdvBackoff *backoff);

/* A Retry-After header's delta-seconds ("120"), capped; FALSE for
 * anything else (a date, garbage, NULL): the caller then backs off. */
gboolean wgd_rdv_parse_retry_after (const gchar *value, guint *seconds);
/* The wait after a 429: what the server asked for, and never less than
 * the backoff would wait (a server asking for 0 gets no tight loop). */
guint64 wgd_rdv_wait_after_429 (WgdRdvBackoff *backoff, const gchar *retry_after,
                                WgdRdvRandomFunc random, gpointer user_data);

/* Whether an address tells a stranger about a private network: RFC 1918,
 * CGNAT 100.64/10, loopback, link-local, this-network, ULA fc00::/7,
 * site-local, IPv4-mapped private ones, multicast, unspecified. */
gboolean wgd_rdv_address_is_private (guint8 family, const guint8 *address);
/* Drops the endpoints of ann a server may not learn (unless
 * allow_private), keeping the order of the rest. */
void wgd_rdv_filter_endpoints (WgdAnnouncement *ann, gboolean allow_private);

/* When each peer is looked up. */
typedef struct _WgdRdvSchedule WgdRdvSchedule;

WgdRdvSchedule *wgd_rdv_schedule_new (void);
void wgd_rdv_schedule_free (WgdRdvSchedule *schedule);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WgdRdvSchedule, wgd_rdv_schedule_free)

/* Starts a round of wants: peers not wanted again before
 * wgd_rdv_schedule_end_round are forgotten. */
void wgd_rdv_schedule_begin_round (WgdRdvSchedule *schedule);
/* The core wants key looked up (use: the interface's Rendezvous=;
 * on_lan: mDNS has a candidate for it now). */
void wgd_rdv_schedule_want (WgdRdvSchedule *schedule, const guint8 key[WGD_KEY_LEN],
                            WgdRendezvousUse use, gboolean on_lan, gint64 now_ms);
void wgd_rdv_schedule_end_round (WgdRdvSchedule *schedule);
/* The keys (GBytes) due for a lookup at now_ms; each is then not due
 * again until wgd_rdv_schedule_done says how it went. */
GPtrArray *wgd_rdv_schedule_take_due (WgdRdvSchedule *schedule, gint64 now_ms);
/* When the next lookup is due (it may be past); G_MAXINT64: none is
 * wanted, or all wanted are running. */
gint64 wgd_rdv_schedule_next_due (WgdRdvSchedule *schedule);
typedef enum {
  WGD_RDV_LOOKUP_FOUND,         /* a record came */
  WGD_RDV_LOOKUP_MISSING,       /* the server has none (yet) */
  WGD_RDV_LOOKUP_FAILED,        /* no answer, or a bad one */
} WgdRdvLookupOutcome;

/* A lookup's end. Found: the next is an interval away. Missing: sooner,
 * with a backoff of the peer's own capped at the interval (a peer not
 * there yet is likely to come soon). Failed: that backoff, capped as
 * the server's. */
void wgd_rdv_schedule_done (WgdRdvSchedule *schedule, const guint8 key[WGD_KEY_LEN],
                            WgdRdvLookupOutcome outcome, gint64 now_ms,
                            WgdRdvRandomFunc random, gpointer user_data);
guint wgd_rdv_schedule_size (WgdRdvSchedule *schedule);

/* The client's state, as shown in STATUS=, the log and on D-Bus. */
typedef enum {
  WGD_RDV_DISABLED,
  WGD_RDV_CONNECTING,           /* nothing answered yet */
  WGD_RDV_CONNECTED,            /* the last request was answered */
  WGD_RDV_BACKING_OFF,          /* waiting before the next attempt */
  WGD_RDV_STATE_COUNT,
} WgdRdvState;

const gchar *wgd_rdv_state_to_string (WgdRdvState state);
gboolean wgd_rdv_state_from_string (const gchar *text, WgdRdvState *state);

/* Following a mesh on the server: watched over a WebSocket (pushes)
 * while one can be held; meanwhile, and whenever it cannot, the mesh's
 * listing is polled. A watch is retried with the backoff (a 503's or
 * 429's Retry-After obeyed); a new watch is followed by one listing, so
 * that nothing PUT before it opened is missed. */

/* Polls, every 15 to 30 s (a twentieth of a record's lifetime at most). */
#define WGD_RDV_POLL_INTERVAL_MS (30 * 1000)
/* Our pings on a watch: the server answers each with a pong. */
#define WGD_RDV_WATCH_PING_S 20
/* A watch that brought nothing (no pong, no message) for this long is
 * dead, whatever its socket says (a proxy that keeps the TCP side up). */
#define WGD_RDV_WATCH_SILENCE_MS (3 * WGD_RDV_WATCH_PING_S * 1000)
/* A watch on which the server was heard (a pong, a message) this long
 * after it opened was a success: a drop after it starts the backoff
 * afresh. */
#define WGD_RDV_WATCH_STABLE_MS (60 * 1000)

typedef enum {
  WGD_RDV_MESH_CONNECTING,      /* the first watch is being opened */
  WGD_RDV_MESH_WATCHED,         /* a watch is open: records are pushed */
  WGD_RDV_MESH_POLLED,          /* no watch could be held: the listing is polled */
  WGD_RDV_MESH_STATE_COUNT,
} WgdRdvMeshState;

const gchar *wgd_rdv_mesh_state_to_string (WgdRdvMeshState state);
gboolean wgd_rdv_mesh_state_from_string (const gchar *text, WgdRdvMeshState *state);

typedef struct {
  WgdRdvMeshState state;
  gboolean opening;             /* a watch is being opened */
  gboolean listing;             /* a listing is in flight */
  gint64 watch_at;              /* when to open a watch */
  gint64 list_at;               /* when to list; G_MAXINT64: not wanted */
  gint64 list_started_at;
  gint64 opened_at;             /* the open watch's */
  gint64 heard_at;              /* the last pong or message on it */
  WgdRdvBackoff watch_backoff;
  WgdRdvBackoff list_backoff;
} WgdRdvFollow;

void wgd_rdv_follow_init (WgdRdvFollow *follow, gint64 now_ms);
/* Whether to open a watch now; if so, it counts as being opened. */
gboolean wgd_rdv_follow_take_watch (WgdRdvFollow *follow, gint64 now_ms);
/* Whether to list now; if so, the listing counts as in flight. */
gboolean wgd_rdv_follow_take_list (WgdRdvFollow *follow, gint64 now_ms);
void wgd_rdv_follow_watch_opened (WgdRdvFollow *follow, gint64 now_ms);
/* The watch was refused or could not be opened; retry_after is a 429's
 * or 503's header, or NULL. */
void wgd_rdv_follow_watch_failed (WgdRdvFollow *follow, const gchar *retry_after,
                                  gint64 now_ms, WgdRdvRandomFunc random, gpointer user_data);
/* The open watch closed (or was found silent and closed). */
void wgd_rdv_follow_watch_closed (WgdRdvFollow *follow, gint64 now_ms, WgdRdvRandomFunc random,
                                  gpointer user_data);
/* A pong or a message came on the open watch. */
void wgd_rdv_follow_heard (WgdRdvFollow *follow, gint64 now_ms);
gboolean wgd_rdv_follow_is_silent (const WgdRdvFollow *follow, gint64 now_ms);
/* A listing's end: answered (ok) or not. */
void wgd_rdv_follow_list_done (WgdRdvFollow *follow, gboolean ok, gint64 now_ms,
                               WgdRdvRandomFunc random, gpointer user_data);
/* The first moment take_watch, take_list or is_silent may say yes, a
 * request waiting until may_send_at at least (the server's backoff; 0:
 * none); G_MAXINT64: nothing is due before something happens. */
gint64 wgd_rdv_follow_next_due (const WgdRdvFollow *follow, gint64 may_send_at);
