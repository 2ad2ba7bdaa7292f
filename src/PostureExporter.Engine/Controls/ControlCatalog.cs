using System.Collections.Immutable;
using System.Reflection;

namespace PostureExporter.Engine.Controls;

/// <summary>Every control in this assembly, discovered rather than listed by hand, ordered by id.</summary>
public static class ControlCatalog
{
    private static readonly Lazy<ImmutableArray<Control>> AllControls = new(() =>
        typeof(Control).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(Control)) && !t.IsAbstract && t.GetConstructor(Type.EmptyTypes) is not null)
            .Select(t => (Control)Activator.CreateInstance(t)!)
            .OrderBy(c => c.Id, StringComparer.Ordinal)
            .ToImmutableArray());

    public static ImmutableArray<Control> All => AllControls.Value;

    public static Control? Find(string id) => All.FirstOrDefault(c => c.Id == id);

    /// <summary>The controls the settings enable.</summary>
    public static ImmutableArray<Control> Enabled(PostureSettings settings) =>
        All.Where(c => settings.IsEnabled(c.Id)).ToImmutableArray();
}
