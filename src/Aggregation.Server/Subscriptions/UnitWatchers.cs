using System.Collections.Concurrent;

namespace Aggregation.Server.Subscriptions;

/// <summary>
/// Which open subscriptions watch which unit (by grain key). A unit's set of watchers is dropped
/// when its last watcher leaves, and a dropped set is never joined again: a watch that found the
/// set just as it was dropped starts over with the unit's new set. Otherwise the subscription would
/// live in a set that notifications and renewals no longer reach, and see only heartbeats.
/// </summary>
public sealed class UnitWatchers
{
    private readonly ConcurrentDictionary<string, Watchers> _units = new(StringComparer.Ordinal);

    /// <summary>Runs between finding a unit's set and joining it: lets a test put a concurrent removal exactly there.</summary>
    internal Action<string>? AfterLookup { get; set; }

    /// <summary>Subscriptions watching at least one unit.</summary>
    public int Subscriptions => _units.Values.SelectMany(w => w.Snapshot()).Distinct().Count();

    /// <summary>The units watched now.</summary>
    public IReadOnlyCollection<string> Units => _units.Keys.ToArray();

    /// <summary>Adds a watcher; true when it is the unit's first, so the unit must be observed.</summary>
    public bool Add(string unitKey, Subscription subscription)
    {
        while (true)
        {
            var watchers = _units.GetOrAdd(unitKey, static _ => new Watchers());
            AfterLookup?.Invoke(unitKey);
            if (watchers.TryJoin(subscription, out var first))
            {
                return first;
            }
        }
    }

    /// <summary>Removes a watcher; true when it was the unit's last, so the unit need no longer be observed.</summary>
    public bool Remove(string unitKey, Subscription subscription)
    {
        if (!_units.TryGetValue(unitKey, out var watchers) || !watchers.Leave(subscription))
        {
            return false;
        }

        // Dropped under its lock before this, so no watch can join it any more.
        _units.TryRemove(new KeyValuePair<string, Watchers>(unitKey, watchers));
        return true;
    }

    /// <summary>The subscriptions watching <paramref name="unitKey"/> now.</summary>
    public IReadOnlyCollection<Subscription> Of(string unitKey) =>
        _units.TryGetValue(unitKey, out var watchers) ? watchers.Snapshot() : [];

    private sealed class Watchers
    {
        private readonly Lock _lock = new();
        private readonly HashSet<Subscription> _members = [];
        private bool _dropped;

        /// <summary>False when the set was dropped: the caller must look the unit up again.</summary>
        public bool TryJoin(Subscription subscription, out bool first)
        {
            lock (_lock)
            {
                first = false;
                if (_dropped)
                {
                    return false;
                }

                _members.Add(subscription);
                first = _members.Count == 1;
                return true;
            }
        }

        /// <summary>True when <paramref name="subscription"/> was the last member; the set is then dropped.</summary>
        public bool Leave(Subscription subscription)
        {
            lock (_lock)
            {
                if (!_members.Remove(subscription) || _members.Count > 0)
                {
                    return false;
                }

                _dropped = true;
                return true;
            }
        }

        public Subscription[] Snapshot()
        {
            lock (_lock)
            {
                return [.. _members];
            }
        }
    }
}
