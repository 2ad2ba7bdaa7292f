Console.WriteLine("posture-exporter");
