using PostureExporter.Engine.Model;

namespace PostureExporter.Informers;

/// <summary>What an informer tells the engine loop. Objects are already projected (off the engine thread).</summary>
internal abstract record InformerEvent(ResourceDescriptor Resource);

internal sealed record ObjectUpserted(ResourceDescriptor Resource, ModelObject Object, string WatchType) : InformerEvent(Resource);

internal sealed record ObjectDeleted(ResourceDescriptor Resource, ObjectKey Key) : InformerEvent(Resource);

/// <summary>
/// One page of a kind's first LIST, applied as it comes so the model fills while later pages are still read;
/// the <see cref="Relisted"/> that ends the list then only removes what vanished (and skips what a page applied).
/// </summary>
internal sealed record ListedPage(ResourceDescriptor Resource, IReadOnlyList<ModelObject> Objects) : InformerEvent(Resource);

/// <summary>A complete LIST: the engine replaces every object of the kind, deleting those that vanished.</summary>
internal sealed record Relisted(ResourceDescriptor Resource, IReadOnlyList<ModelObject> Objects) : InformerEvent(Resource);
