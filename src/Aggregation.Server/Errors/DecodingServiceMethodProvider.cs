using System.Reflection;
using Aggregation.Rollup;
using Google.Protobuf;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Aggregation.Server.Errors;

/// <summary>Puts <see cref="DecodingServiceMethodProvider{TService}"/> in place of grpc-dotnet's binder.</summary>
public static class DecodingServiceMethodProvider
{
    /// <summary>Replaces grpc-dotnet's binder in the service collection (call after AddGrpc).</summary>
    public static void Register(IServiceCollection services)
    {
        services.RemoveAll(typeof(IServiceMethodProvider<>));
        services.TryAddEnumerable(ServiceDescriptor.Singleton(typeof(IServiceMethodProvider<>), typeof(DecodingServiceMethodProvider<>)));
    }
}

/// <summary>
/// Binds every gRPC service as grpc-dotnet's own binder does, but with request deserializers that
/// turn bytes that are not the expected protobuf message into INVALID_ARGUMENT naming the message
/// type. Without it such a request ends as UNKNOWN "Exception was thrown by handler", because it
/// fails before any interceptor runs.
/// </summary>
public sealed class DecodingServiceMethodProvider<TService> : IServiceMethodProvider<TService>
    where TService : class
{
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<TService> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var bind = BindMethod(typeof(TService));
        bind?.Invoke(null, [new Binder(context), null]);
    }

    /// <summary>The generated static BindService(ServiceBinderBase, TBase) named by [BindServiceMethod] on the service's generated base.</summary>
    private static MethodInfo? BindMethod(Type service)
    {
        for (var type = service; type is not null; type = type.BaseType)
        {
            if (type.GetCustomAttribute<BindServiceMethodAttribute>(inherit: false) is { } attribute)
            {
                return attribute.BindType.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
                    .FirstOrDefault(m => m.Name == attribute.BindMethodName && m.GetParameters() is [{ ParameterType: var first }, _] && first == typeof(ServiceBinderBase));
            }
        }

        return null;
    }

    private static Method<TRequest, TResponse> Decoding<TRequest, TResponse>(Method<TRequest, TResponse> method)
        where TRequest : class
        where TResponse : class
    {
        var deserialize = method.RequestMarshaller.ContextualDeserializer;
        var marshaller = Marshallers.Create(method.RequestMarshaller.ContextualSerializer, context =>
        {
            try
            {
                return deserialize(context);
            }
            catch (InvalidProtocolBufferException ex)
            {
                throw RpcErrors.InvalidArgument(new FieldError("(request)", $"is not a valid {method.ServiceName}.{method.Name} request message: {ex.Message}"));
            }
        });
        return new Method<TRequest, TResponse>(method.Type, method.ServiceName, method.Name, marshaller, method.ResponseMarshaller);
    }

    private static TDelegate Invoker<TDelegate>(string name)
        where TDelegate : Delegate
    {
        var parameters = typeof(TDelegate).GetMethod("Invoke")!.GetParameters().Skip(1).Select(p => p.ParameterType).ToArray();
        var method = typeof(TService).GetMethod(name, BindingFlags.Public | BindingFlags.Instance, parameters)
            ?? throw new InvalidOperationException($"{typeof(TService).Name} has no method {name}.");
        return (TDelegate)Delegate.CreateDelegate(typeof(TDelegate), method);
    }

    private sealed class Binder(ServiceMethodProviderContext<TService> context) : ServiceBinderBase
    {
        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, Grpc.Core.UnaryServerMethod<TRequest, TResponse>? handler) =>
            context.AddUnaryMethod(Decoding(method), [], Invoker<Grpc.AspNetCore.Server.Model.UnaryServerMethod<TService, TRequest, TResponse>>(method.Name));

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, Grpc.Core.ClientStreamingServerMethod<TRequest, TResponse>? handler) =>
            context.AddClientStreamingMethod(Decoding(method), [], Invoker<Grpc.AspNetCore.Server.Model.ClientStreamingServerMethod<TService, TRequest, TResponse>>(method.Name));

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, Grpc.Core.ServerStreamingServerMethod<TRequest, TResponse>? handler) =>
            context.AddServerStreamingMethod(Decoding(method), [], Invoker<Grpc.AspNetCore.Server.Model.ServerStreamingServerMethod<TService, TRequest, TResponse>>(method.Name));

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, Grpc.Core.DuplexStreamingServerMethod<TRequest, TResponse>? handler) =>
            context.AddDuplexStreamingMethod(Decoding(method), [], Invoker<Grpc.AspNetCore.Server.Model.DuplexStreamingServerMethod<TService, TRequest, TResponse>>(method.Name));
    }
}
