use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};

use super::Group;

/// Many threads submitting at once: each gets the result of its own work, every item runs
/// exactly once, groups keep submission order, and under contention groups hold more than
/// one item (which is the point).
#[test]
fn each_caller_gets_its_own_result_and_items_are_grouped() {
    let group: Arc<Group<u64, u64>> = Arc::new(Group::default());
    let runs = Arc::new(AtomicUsize::new(0));
    let largest = Arc::new(AtomicUsize::new(0));
    let threads = 16;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads as u64)
        .map(|thread| {
            let (group, runs, largest, barrier) =
                (group.clone(), runs.clone(), largest.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                for round in 0..200u64 {
                    let work = thread * 1_000 + round;
                    let result = group.submit(
                        work,
                        64,
                        |items| {
                            runs.fetch_add(items.len(), Ordering::SeqCst);
                            largest.fetch_max(items.len(), Ordering::SeqCst);
                            // Slow enough for others to queue behind the leader.
                            std::thread::sleep(std::time::Duration::from_micros(50));
                            items.into_iter().map(|item| item * 2).collect()
                        },
                        || u64::MAX,
                    );
                    assert_eq!(result, work * 2);
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    assert_eq!(runs.load(Ordering::SeqCst), threads * 200, "every item ran exactly once");
    let largest = largest.load(Ordering::SeqCst);
    assert!(largest > 1 && largest <= 64, "groups of up to 64 formed: largest {largest}");
}

/// A lone caller leads a group of one.
#[test]
fn a_lone_caller_runs_its_own_work_at_once() {
    let group: Group<&str, usize> = Group::default();
    let result =
        group.submit("abc", 8, |items| items.iter().map(|item| item.len()).collect(), || 0);
    assert_eq!(result, 3);
}

/// A group whose run panics: the panic continues on the thread that led it, the group's
/// other callers get `panicked()`, and the queue goes on serving later work.
#[test]
fn a_panicking_group_fails_its_callers_and_the_queue_goes_on() {
    type Shared = Arc<Group<u32, Result<u32, &'static str>>>;
    let group: Shared = Arc::new(Group::default());
    let leading = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let run = |group: Shared, work: u32| {
        let leading = leading.clone();
        std::thread::spawn(move || {
            let inner = group.clone();
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                group.submit(
                    work,
                    8,
                    |items: Vec<u32>| {
                        if items == [1] {
                            // The first group waits until the two others are queued.
                            leading.store(true, Ordering::SeqCst);
                            while inner.queued() < 2 {
                                std::thread::yield_now();
                            }
                            return items.into_iter().map(Ok).collect();
                        }
                        assert_eq!(items.len(), 2, "the two queued behind the first");
                        panic!("a bad group")
                    },
                    || Err("panicked"),
                )
            }))
        })
    };
    let leader = run(group.clone(), 1);
    while !leading.load(Ordering::SeqCst) {
        std::thread::yield_now();
    }
    let followers = [run(group.clone(), 2), run(group.clone(), 3)];
    assert_eq!(leader.join().unwrap().unwrap(), Ok(1));
    let outcomes: Vec<_> = followers.into_iter().map(|handle| handle.join().unwrap()).collect();
    let panics = outcomes.iter().filter(|outcome| outcome.is_err()).count();
    let told = outcomes.iter().filter(|outcome| matches!(outcome, Ok(Err("panicked")))).count();
    assert_eq!((panics, told), (1, 1), "{outcomes:?}");
    let result = group.submit(9, 8, |items| items.into_iter().map(Ok).collect(), || Err("x"));
    assert_eq!(result, Ok(9));
}
