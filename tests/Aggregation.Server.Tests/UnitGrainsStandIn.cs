using System.Collections.Concurrent;
using System.Reflection;
using Aggregation.Rollup;

namespace Aggregation.Server.Tests;

/// <summary>
/// The grain factory as the subscription hub sees it: unit grains that record who observes them,
/// and object references that are the observer itself (no silo in between).
/// </summary>
public class UnitGrainsStandIn : DispatchProxy
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<IUnitObserver, byte>> _observers = new(StringComparer.Ordinal);

    public static (IGrainFactory Grains, UnitGrainsStandIn Units) Create()
    {
        var grains = DispatchProxy.Create<IGrainFactory, UnitGrainsStandIn>();
        return (grains, (UnitGrainsStandIn)(object)grains);
    }

    /// <summary>Whether the unit would notify <paramref name="observer"/> of its changes.</summary>
    public bool Observes(string unitKey, IUnitObserver observer) =>
        _observers.TryGetValue(unitKey, out var observers) && observers.ContainsKey(observer);

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        ArgumentNullException.ThrowIfNull(args);
        return targetMethod.Name switch
        {
            nameof(IGrainFactory.GetGrain) when targetMethod.IsGenericMethod && targetMethod.GetGenericArguments()[0] == typeof(IUnitGrain) && args[0] is string key => Unit(key),
            nameof(IGrainFactory.CreateObjectReference) => args[0],
            _ => throw new NotSupportedException($"The subscription hub was not expected to call {targetMethod.Name}."),
        };
    }

    private IUnitGrain Unit(string key)
    {
        var unit = DispatchProxy.Create<IUnitGrain, UnitStandIn>();
        ((UnitStandIn)(object)unit).Bind(key, _observers.GetOrAdd(key, _ => new ConcurrentDictionary<IUnitObserver, byte>()));
        return unit;
    }

    public class UnitStandIn : DispatchProxy
    {
        private string _key = "";
        private ConcurrentDictionary<IUnitObserver, byte> _observers = new();

        internal void Bind(string key, ConcurrentDictionary<IUnitObserver, byte> observers)
        {
            _key = key;
            _observers = observers;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            ArgumentNullException.ThrowIfNull(targetMethod);
            ArgumentNullException.ThrowIfNull(args);
            switch (targetMethod.Name)
            {
                case nameof(IUnitGrain.ObserveAsync):
                    _observers[(IUnitObserver)args[0]!] = 0;
                    return Task.CompletedTask;
                case nameof(IUnitGrain.UnobserveAsync):
                    _observers.TryRemove((IUnitObserver)args[0]!, out _);
                    return Task.CompletedTask;
                default:
                    throw new NotSupportedException($"The subscription hub was not expected to call {targetMethod.Name} on unit {_key}.");
            }
        }
    }
}
